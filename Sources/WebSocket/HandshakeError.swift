/// Why a server refuses a WebSocket opening handshake (RFC 6455 §4.2.1), with the
/// response to send before closing the connection.
public enum HandshakeError: Error, Sendable, Hashable {
    /// The method is not GET (RFC 6455 §4.1: "The method of the request MUST be GET").
    case methodNotAllowed
    /// The request is older than HTTP/1.1.
    case httpVersionTooOld
    /// There is no `Host` header (RFC 6455 §4.2.1 item 2, RFC 9112 §3.2).
    case missingHost
    /// `Upgrade` lacks the `websocket` token or `Connection` lacks the `upgrade` token.
    case notAnUpgrade
    /// `Sec-WebSocket-Version` is missing or not 13 (RFC 6455 §4.2.2: answer 426 with the
    /// versions we support).
    case unsupportedVersion
    /// `Sec-WebSocket-Key` is missing, repeated, or not base64 of exactly 16 bytes.
    case invalidKey

    /// The HTTP status to answer with.
    public var status: Int {
        switch self {
        case .methodNotAllowed: return 405
        case .unsupportedVersion: return 426
        case .httpVersionTooOld, .missingHost, .notAnUpgrade, .invalidKey: return 400
        }
    }

    /// A short lowercase explanation for the response body and logs.
    public var reason: String {
        switch self {
        case .methodNotAllowed: return "a websocket upgrade must use GET"
        case .httpVersionTooOld: return "a websocket upgrade needs HTTP/1.1"
        case .missingHost: return "missing host header"
        case .notAnUpgrade: return "expected a websocket upgrade"
        case .unsupportedVersion: return "unsupported websocket version, use 13"
        case .invalidKey: return "invalid sec-websocket-key"
        }
    }

    /// Headers the response must carry: `Sec-WebSocket-Version: 13` for 426
    /// (RFC 6455 §4.4) and `Allow: GET` for 405 (RFC 9110 §15.5.6).
    public var extraHeaders: [(String, String)] {
        switch self {
        case .unsupportedVersion: return [("Sec-WebSocket-Version", "13")]
        case .methodNotAllowed: return [("Allow", "GET")]
        default: return []
        }
    }

    /// The complete `Connection: close` response refusing the handshake.
    public func responseBytes() -> [UInt8] {
        HTTPResponse.bytes(
            status: status, reason: HTTPResponse.reasonPhrase(for: status), extraHeaders: extraHeaders,
            body: "error: \(reason)\n")
    }
}
