import Reactor

/// A connection in Redis subscriber mode (RESP2 SUBSCRIBE/UNSUBSCRIBE), on
/// the process's `EventLoop`; separate from `RedisConnection` because a
/// subscribed RESP2 connection can issue nothing but pub/sub commands.
///
/// `subscribe` and `unsubscribe` may be called in any state: the set of
/// channels held is the subscriber's own, and it is (re)established on every
/// connect. After a reconnect, once Redis has confirmed every channel again,
/// the delegate hears `didResubscribe`: messages published while down were
/// missed (pub/sub is at-most-once) and the owner fills the gap.
///
/// Messages of one channel arrive in publish order (one TCP stream, and Redis
/// delivers in order). Messages for a channel unsubscribed locally but not
/// yet at the server are dropped, so the owner only hears channels it holds.
public final class RedisSubscriber: RedisLinkOwner {
    public let url: RedisURL
    public let options: RedisSubscriberOptions
    public weak var delegate: RedisSubscriberDelegate?
    public private(set) var state = RedisConnectionState.idle
    /// The channels held, whatever the connection's state.
    public private(set) var channels: Set<[UInt8]> = []
    /// Messages delivered to the delegate.
    public private(set) var messagesReceived: UInt64 = 0
    /// Completed resubscriptions after reconnects.
    public private(set) var resubscriptions: UInt64 = 0

    private unowned(unsafe) let loop: EventLoop
    private let link: RedisLink
    /// Channels held at the reconnect whose confirmation is still awaited.
    private var awaitingResubscribe: Set<[UInt8]> = []
    private var resubscribed: [[UInt8]] = []
    private var isResubscribing = false
    private var pingTimer: TimerID?
    private var awaitingPong = false

    /// Channels per SUBSCRIBE when resubscribing, so no single command is huge.
    static let channelsPerCommand = 512

    /// Resolves the URL's host (blocking: do it at start-up); `start()` connects.
    public init(url: RedisURL, loop: EventLoop, options: RedisSubscriberOptions = RedisSubscriberOptions()) throws(RedisError) {
        self.url = url
        self.loop = loop
        self.options = options
        link = try RedisLink(
            url: url, loop: loop,
            options: RedisLink.Options(
                connectTimeoutMilliseconds: options.connectTimeoutMilliseconds, backoff: options.backoff,
                decoderLimits: options.decoderLimits, role: "redis-subscriber"))
        link.owner = self
    }

    deinit {
        link.stop()
    }

    /// Starts connecting (once).
    public func start() {
        guard case .idle = state else { return }
        link.start()
    }

    /// Closes for good.
    public func close() {
        if case .closed = state { return }
        state = .closed
        link.stop()
        stopPing()
        delegate?.subscriber(self, didChangeState: .closed)
    }

    /// Holds `channel` from now on; subscribes at once if connected.
    public func subscribe(_ channel: [UInt8]) {
        guard channels.insert(channel).inserted else { return }
        if case .ready = state { link.write { RESPEncoder.encodeCommand("SUBSCRIBE", channel, into: &$0) } }
    }

    public func subscribe(_ channel: String) { subscribe(Array(channel.utf8)) }

    /// Stops holding `channel`; its messages stop at once for the delegate.
    public func unsubscribe(_ channel: [UInt8]) {
        guard channels.remove(channel) != nil else { return }
        if case .ready = state { link.write { RESPEncoder.encodeCommand("UNSUBSCRIBE", channel, into: &$0) } }
        if isResubscribing && awaitingResubscribe.remove(channel) != nil && awaitingResubscribe.isEmpty { finishResubscribe() }
    }

    public func unsubscribe(_ channel: String) { unsubscribe(Array(channel.utf8)) }

    // MARK: Events

    private func handle(_ event: RedisPubSubEvent) {
        switch event {
        case .message(let channel, let payload):
            guard channels.contains(channel) else { return }
            messagesReceived += 1
            delegate?.subscriber(self, didReceive: payload, on: channel)
        case .subscribed(let channel, _):
            guard channels.contains(channel) else { return }
            delegate?.subscriber(self, didConfirm: channel)
            if isResubscribing && awaitingResubscribe.remove(channel) != nil && awaitingResubscribe.isEmpty {
                finishResubscribe()
            }
        case .unsubscribed:
            break
        case .pong:
            awaitingPong = false
        case .error(let message):
            Log.error("redis refused a subscriber command", ["redis": url.description, "error": message])
        }
    }

    private func finishResubscribe() {
        isResubscribing = false
        resubscriptions += 1
        let held = resubscribed.filter { channels.contains($0) }
        resubscribed = []
        delegate?.subscriber(self, didResubscribe: held)
    }

    // MARK: Liveness

    private func schedulePing() {
        guard options.pingIntervalMilliseconds > 0 else { return }
        pingTimer = loop.schedule(afterMilliseconds: options.pingIntervalMilliseconds) { [weak self] in self?.ping() }
    }

    private func ping() {
        pingTimer = nil
        guard case .ready = state else { return }
        if awaitingPong {
            link.drop(.timeout("no PONG within \(options.pingIntervalMilliseconds) ms"))
            return
        }
        awaitingPong = true
        link.write { RESPEncoder.encodeCommand("PING", into: &$0) }
        schedulePing()
    }

    private func stopPing() {
        if let pingTimer { loop.cancel(pingTimer) }
        pingTimer = nil
        awaitingPong = false
    }

    // MARK: RedisLinkOwner

    func handshakeForNewConnection() -> RedisHandshake {
        // Channels are not per database, so no SELECT.
        RedisHandshake(url: url, clientName: options.clientName.map { Array($0.utf8) }, selectsDatabase: false, scripts: [])
    }

    func linkIsConnecting() {
        if case .connecting = state { return }
        state = .connecting
        delegate?.subscriber(self, didChangeState: .connecting)
    }

    func linkDidBecomeReady(reconnected: Bool) {
        state = .ready
        let held = Array(channels)
        if reconnected {
            isResubscribing = true
            awaitingResubscribe = channels
            resubscribed = held
        }
        var start = 0
        while start < held.count {
            let batch = held[start..<min(held.count, start + Self.channelsPerCommand)]
            link.write { buffer in
                RESPEncoder.encodeCommand(argumentCount: 1 + batch.count, into: &buffer) { writer in
                    writer.append("SUBSCRIBE")
                    writer.append(contentsOf: batch)
                }
            }
            start += Self.channelsPerCommand
        }
        stopPing()
        schedulePing()
        delegate?.subscriber(self, didChangeState: .ready)
        if isResubscribing && awaitingResubscribe.isEmpty { finishResubscribe() }
    }

    func linkDidReceive(_ reply: RESPValue) {
        guard let event = RedisPubSubEvent(reply) else {
            link.drop(.unexpectedReply("not a pub/sub reply: \(reply)"))
            return
        }
        handle(event)
    }

    func linkDidGoDown(_ reason: RedisError, retryInMilliseconds: Int) {
        state = .down(reason, retryInMilliseconds: retryInMilliseconds)
        stopPing()
        isResubscribing = false
        awaitingResubscribe = []
        resubscribed = []
        delegate?.subscriber(self, didChangeState: state)
    }
}
