/// The start line and header fields of an HTTP/1.x request, as read by `HTTPRequestParser`.
public struct HTTPRequestHead: Sendable {
    /// The method, such as `GET`; case-sensitive (RFC 9110 §9.1).
    public var method: String
    /// The request target as sent: the path including any query, such as `/mychat?x=1`.
    public var target: String
    /// The protocol version from the request line.
    public var version: HTTPVersion
    /// Header fields in the order received, values trimmed of surrounding whitespace.
    public var headers: [(name: String, value: String)]

    /// Creates a head from its parts (tests and clients build heads directly).
    public init(method: String, target: String, version: HTTPVersion, headers: [(name: String, value: String)]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The path part of `target`, without the query.
    public var path: Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// The value of the first field called `name` (compared case-insensitively), or nil.
    public func value(_ name: String) -> String? {
        HTTPHeaderFields.values(name, in: headers).first
    }

    /// The values of every field called `name`, in the order received.
    public func values(_ name: String) -> [String] {
        HTTPHeaderFields.values(name, in: headers)
    }

    /// Whether a comma-separated field called `header` lists `token`, case-insensitively,
    /// across all repetitions of the field; for example `Connection: keep-alive, Upgrade`
    /// has the token `upgrade`.
    public func hasToken(_ token: String, in header: String) -> Bool {
        HTTPHeaderFields.hasToken(token, in: header, headers: headers)
    }
}
