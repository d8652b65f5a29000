/// Why a client rejects the server's answer to its opening handshake (RFC 6455 §4.1).
public enum ClientHandshakeError: Error, Sendable, Hashable {
    /// The response head is malformed or too large.
    case malformedResponse(HTTPError)
    /// The status is not 101; carries the status code and reason phrase.
    case unexpectedStatus(Int, String)
    /// `Upgrade: websocket` or `Connection: upgrade` is missing.
    case notAnUpgrade
    /// `Sec-WebSocket-Accept` does not match the key we sent.
    case acceptMismatch

    /// A short lowercase explanation for the user.
    public var reason: String {
        switch self {
        case .malformedResponse(let error): return "malformed handshake response: \(error.reason)"
        case .unexpectedStatus(let status, let phrase): return "server answered \(status) \(phrase)"
        case .notAnUpgrade: return "server did not upgrade to websocket"
        case .acceptMismatch: return "server sent a wrong sec-websocket-accept"
        }
    }
}
