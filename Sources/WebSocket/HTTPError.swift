/// Why an HTTP head could not be parsed; each case maps to the status to answer with.
public enum HTTPError: Error, Sendable, Hashable {
    /// The request or status line is not `METHOD SP target SP HTTP/x.y` (or `HTTP/x.y SP code SP reason`).
    case malformedStartLine
    /// A header line is not `name: value` with a token name and no control characters.
    case malformedHeader
    /// A header line starts with whitespace (obsolete line folding, RFC 9112 §5.2).
    case obsoleteLineFolding
    /// The head did not end within the configured maximum number of bytes.
    case headTooLarge
    /// More bytes were fed after the parser had already produced its result.
    case alreadyComplete

    /// The HTTP status a server answers with: 431 for an oversized head, otherwise 400.
    public var status: Int {
        switch self {
        case .headTooLarge: return 431
        default: return 400
        }
    }

    /// A short lowercase explanation for the response body and logs.
    public var reason: String {
        switch self {
        case .malformedStartLine: return "malformed request line"
        case .malformedHeader: return "malformed header line"
        case .obsoleteLineFolding: return "folded header lines are not supported"
        case .headTooLarge: return "request head too large"
        case .alreadyComplete: return "request head already parsed"
        }
    }

    /// A complete `Connection: close` response reporting this error.
    public func responseBytes() -> [UInt8] {
        HTTPResponse.bytes(
            status: status, reason: HTTPResponse.reasonPhrase(for: status), body: "error: \(reason)\n")
    }
}
