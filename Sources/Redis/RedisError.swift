import Reactor

/// Everything that can go wrong between MaChat and Redis, for a command and
/// for a connection. The cases say whether a command reached the server:
/// `notReady`, `closed` (before sending), `tooManyPendingReplies` and
/// `outboundBufferFull` mean it was never sent; `connectionLost` means it was
/// sent and its outcome is unknown (it may have run); `server` means it ran
/// and Redis answered with an error.
public enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not sent: the connection is not `.ready` and fails commands fast
    /// (`RedisConnectionOptions.WhileDown.failFast`). Send again after `.ready`.
    case notReady
    /// The connection was closed by its owner: not sent, or (for a command
    /// already written) sent with its outcome unknown.
    case closed
    /// Not sent: `limit` replies are already awaited.
    case tooManyPendingReplies(limit: Int)
    /// Not sent: `pending` bytes already wait to be written (or queued while
    /// down), at or over `limit`.
    case outboundBufferFull(pending: Int, limit: Int)
    /// Sent, but the connection went away before its reply: it may or may not
    /// have run. The text says why the connection went away.
    case connectionLost(String)
    /// Redis answered with this error reply (`ERR …`, `WRONGTYPE …`).
    case server(String)
    /// The connection closed or failed (a connection's `.down` reason; the
    /// commands it carried get `connectionLost`).
    case disconnected(String)
    /// The host name of the URL did not resolve.
    case resolutionFailed(host: String, reason: String)
    /// The TCP connection to `address` could not be made.
    case connectFailed(address: String, SystemError)
    /// No connection, handshake or reply within the time allowed.
    case timeout(String)
    /// AUTH was refused, or the server wants a password we did not give.
    case authenticationFailed(String)
    /// SELECT or another step of the connection's set-up was refused.
    case handshakeFailed(String)
    /// The server sent bytes that are not RESP.
    case protocolViolation(RESPProtocolError)
    /// The server sent valid RESP that makes no sense here.
    case unexpectedReply(String)

    /// The error code of a server error reply: its first word (`NOSCRIPT`,
    /// `WRONGTYPE`, `ERR`), or nil for other errors.
    public var serverErrorCode: Substring? {
        guard case .server(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }

    public var description: String {
        switch self {
        case .notReady: return "redis connection is not ready; command not sent"
        case .closed: return "redis connection closed"
        case .tooManyPendingReplies(let limit): return "\(limit) redis replies already pending; command not sent"
        case .outboundBufferFull(let pending, let limit):
            return "redis outbound buffer full (\(pending) bytes, limit \(limit)); command not sent"
        case .connectionLost(let why): return "redis connection lost (\(why)); the command may or may not have run"
        case .server(let message): return "redis error: \(message)"
        case .disconnected(let why): return "redis connection closed: \(why)"
        case .resolutionFailed(let host, let reason): return "cannot resolve redis host \"\(host)\": \(reason)"
        case .connectFailed(let address, let error): return "cannot connect to redis at \(address): \(error)"
        case .timeout(let what): return "redis timeout: \(what)"
        case .authenticationFailed(let why): return "redis authentication failed: \(why)"
        case .handshakeFailed(let why): return "redis connection set-up failed: \(why)"
        case .protocolViolation(let error): return "redis protocol error: \(error)"
        case .unexpectedReply(let what): return "unexpected redis reply: \(what)"
        }
    }
}
