/// The status line and header fields of an HTTP/1.x response.
public struct HTTPResponseHead: Sendable {
    /// The protocol version from the status line.
    public var version: HTTPVersion
    /// The three-digit status code.
    public var status: Int
    /// The reason phrase, possibly empty.
    public var reason: String
    /// Header fields in the order received, values trimmed of surrounding whitespace.
    public var headers: [(name: String, value: String)]

    /// Creates a head from its parts.
    public init(version: HTTPVersion, status: Int, reason: String, headers: [(name: String, value: String)]) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// The value of the first field called `name` (compared case-insensitively), or nil.
    public func value(_ name: String) -> String? {
        HTTPHeaderFields.values(name, in: headers).first
    }

    /// Whether a comma-separated field called `header` lists `token`, case-insensitively.
    public func hasToken(_ token: String, in header: String) -> Bool {
        HTTPHeaderFields.hasToken(token, in: header, headers: headers)
    }

    /// Parses a head from lines found by `HTTPHeadScanner`.
    static func parse(_ buffer: [UInt8], lines: [Range<Int>]) -> Result<HTTPResponseHead, HTTPError> {
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4);
        // a missing final space is tolerated.
        let line = buffer[lines[0]]
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let version = HTTPVersion(parts[0]), parts[1].count == 3,
            parts[1].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let status = Int(String(decoding: parts[1], as: UTF8.self))
        else {
            return .failure(.malformedStartLine)
        }
        let reason = parts.count == 3 ? String(decoding: parts[2], as: UTF8.self) : ""
        var headers: [(name: String, value: String)] = []
        for range in lines.dropFirst() {
            let headerLine = buffer[range]
            if headerLine.first == UInt8(ascii: " ") || headerLine.first == UInt8(ascii: "\t") {
                return .failure(.obsoleteLineFolding)
            }
            guard let field = HTTPHeaderFields.parseLine(headerLine) else { return .failure(.malformedHeader) }
            headers.append(field)
        }
        return .success(HTTPResponseHead(version: version, status: status, reason: reason, headers: headers))
    }
}
