import Foundation

/// An HTTP/1.1 response split the plain way (head up to CRLF CRLF, lines on CRLF, fields
/// on the first colon), for assertions on the exact bytes the site produced.
struct ParsedResponse {
    let statusLine: String
    let fields: [(name: String, value: String)]
    let body: [UInt8]

    init(_ bytes: [UInt8]) throws {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw ToolFailure(description: "no end of head in \(String(decoding: bytes, as: UTF8.self))")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        statusLine = lines[0]
        fields = try lines.dropFirst().map { line in
            guard let colon = line.firstIndex(of: ":") else { throw ToolFailure(description: "bad field line \(line)") }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        body = Array(bytes[(end + 4)...])
    }

    /// The values of the fields called `name` (case-insensitive).
    func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The one value of the field `name`, or nil when it is absent or repeated.
    func value(_ name: String) -> String? {
        let all = values(name)
        return all.count == 1 ? all[0] : nil
    }
}
