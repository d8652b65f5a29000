/// Where a Redis connection or subscriber is in its life.
public enum RedisConnectionState: Equatable, Sendable, CustomStringConvertible {
    /// Created, `start()` not called yet.
    case idle
    /// Connecting over TCP, or authenticating, selecting and loading scripts.
    case connecting
    /// Handshake done: commands go out and replies come back.
    case ready
    /// Lost or never established, for `reason`; a new attempt starts in
    /// `retryInMilliseconds` (exponential backoff with jitter).
    case down(RedisError, retryInMilliseconds: Int)
    /// Closed by its owner for good.
    case closed

    public var description: String {
        switch self {
        case .idle: return "idle"
        case .connecting: return "connecting"
        case .ready: return "ready"
        case .down(let reason, let retry): return "down (\(reason)); retrying in \(retry) ms"
        case .closed: return "closed"
        }
    }
}
