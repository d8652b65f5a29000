/// Ordered header fields as received, with the case-insensitive lookups that both
/// request and response heads need (RFC 9110 §5.1: field names are case-insensitive).
enum HTTPHeaderFields {
    /// The trimmed values of every field called `name`, in order.
    static func values(_ name: String, in headers: [(name: String, value: String)]) -> [String] {
        headers.filter { equalsIgnoringASCIICase($0.name, name) }.map(\.value)
    }

    /// Whether any field called `header` lists `token` in its comma-separated value
    /// (RFC 9110 §5.6.1), comparing tokens without regard to ASCII case.
    static func hasToken(_ token: String, in header: String, headers: [(name: String, value: String)]) -> Bool {
        for value in values(header, in: headers) {
            for element in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
                let trimmed = trimmingWhitespace(element)
                if equalsIgnoringASCIICase(trimmed, token.utf8) {
                    return true
                }
            }
        }
        return false
    }

    /// Parses one `name: value` line (RFC 9112 §5.1), or returns nil when it is malformed.
    ///
    /// Whitespace between the name and the colon, an empty or non-token name, and control
    /// characters in the value are all rejected; so is obsolete line folding (a line that
    /// starts with whitespace), which RFC 9112 §5.2 lets a server refuse with 400.
    static func parseLine(_ line: ArraySlice<UInt8>) -> (name: String, value: String)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else { return nil }
        let value = trimmingWhitespace(line[(colon + 1)...])
        for byte in value where (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F {
            return nil
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Whether `byte` may appear in a token such as a method or field name (RFC 9110 §5.6.2).
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func equalsIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        equalsIgnoringASCIICase(lhs.utf8, rhs.utf8)
    }

    static func equalsIgnoringASCIICase(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func trimmingWhitespace<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isWhitespace(bytes[start]) {
            start = bytes.index(after: start)
        }
        while end > start, isWhitespace(bytes[bytes.index(before: end)]) {
            end = bytes.index(before: end)
        }
        return bytes[start..<end]
    }
}
