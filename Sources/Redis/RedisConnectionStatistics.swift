/// Counters of one connection's life, for metrics and tests.
public struct RedisConnectionStatistics: Equatable, Sendable {
    /// Commands accepted by `send` and `evalScript`.
    public var commandsSent: UInt64 = 0
    /// Replies matched to commands (handshakes not counted).
    public var repliesReceived: UInt64 = 0
    /// Script calls re-sent after a NOSCRIPT reply.
    public var scriptRetries: UInt64 = 0
    /// Times the connection became ready again after being lost.
    public var reconnects: UInt64 = 0

    public init() {}
}
