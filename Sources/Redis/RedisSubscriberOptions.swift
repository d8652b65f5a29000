import Reactor

/// How a `RedisSubscriber` behaves.
public struct RedisSubscriberOptions: Sendable {
    /// TCP connect plus handshake must finish within this.
    public var connectTimeoutMilliseconds: Int
    /// A PING goes out this often; if the previous one is still unanswered
    /// the connection is taken as dead and re-established. An idle subscriber
    /// would otherwise never notice a vanished server. 0 disables.
    public var pingIntervalMilliseconds: Int
    public var backoff: ReconnectBackoff
    /// Sent with CLIENT SETNAME; nil sends none.
    public var clientName: String?
    public var decoderLimits: RESPDecoderLimits

    public init(
        connectTimeoutMilliseconds: Int = 2000, pingIntervalMilliseconds: Int = 5000,
        backoff: ReconnectBackoff = ReconnectBackoff(initialMilliseconds: 25),
        clientName: String? = "machat-subscriber", decoderLimits: RESPDecoderLimits = RESPDecoderLimits()
    ) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.pingIntervalMilliseconds = pingIntervalMilliseconds
        self.backoff = backoff
        self.clientName = clientName
        self.decoderLimits = decoderLimits
    }
}
