import Reactor

/// How a `RedisConnection` behaves: what happens to commands while it is not
/// ready, its bounds, and its timeouts.
public struct RedisConnectionOptions: Sendable {
    /// What `send` does while the connection is not `.ready`.
    public enum WhileDown: Equatable, Sendable {
        /// Throw `RedisError.notReady` at once; nothing is sent or kept. The
        /// caller keeps what it wants to retry and sends it after `.ready`.
        case failFast
        /// Keep up to `maxBytes` of encoded commands (and their callbacks) and
        /// send them, in order, right after the next handshake.
        case queue(maxBytes: Int)
    }

    public var whileDown: WhileDown
    /// Most callbacks awaiting a reply (in flight plus queued).
    public var maxPendingReplies: Int
    /// `send` throws `outboundBufferFull` while this many bytes wait to be
    /// written (the server is not reading); one command may overshoot it.
    public var maxOutboundBytes: Int
    /// TCP connect plus handshake must finish within this.
    public var connectTimeoutMilliseconds: Int
    /// The connection is dropped (and its commands fail with
    /// `connectionLost`) when a reply has been awaited this long with no
    /// reply at all arriving: detection takes between one and two periods.
    /// 0 disables the check.
    public var replyTimeoutMilliseconds: Int
    public var backoff: ReconnectBackoff
    /// Sent with CLIENT SETNAME so `CLIENT LIST` shows who is who; nil sends none.
    public var clientName: String?
    public var decoderLimits: RESPDecoderLimits

    public init(
        whileDown: WhileDown = .failFast, maxPendingReplies: Int = 100_000, maxOutboundBytes: Int = 64 << 20,
        connectTimeoutMilliseconds: Int = 2000, replyTimeoutMilliseconds: Int = 10_000,
        backoff: ReconnectBackoff = ReconnectBackoff(initialMilliseconds: 25),
        clientName: String? = "machat", decoderLimits: RESPDecoderLimits = RESPDecoderLimits()
    ) {
        self.whileDown = whileDown
        self.maxPendingReplies = maxPendingReplies
        self.maxOutboundBytes = maxOutboundBytes
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.replyTimeoutMilliseconds = replyTimeoutMilliseconds
        self.backoff = backoff
        self.clientName = clientName
        self.decoderLimits = decoderLimits
    }
}
