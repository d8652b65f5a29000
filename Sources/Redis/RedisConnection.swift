import Reactor

/// A pipelined Redis client on the process's `EventLoop` (single-threaded: no
/// Dispatch, no async; not Sendable).
///
/// `send` encodes the command straight into the socket's outbound buffer,
/// which the loop flushes once per turn, so a turn's worth of commands costs
/// one write; callbacks wait in a FIFO and are matched to replies in order.
///
/// Contract of every `send` and `evalScript`: if it throws, the command was
/// not sent and its callback will never be called; if it returns, the
/// callback is called exactly once: with the reply, with `.server` for an
/// error reply, with `.connectionLost` if the connection went away first (the
/// command may or may not have run), or with `.closed` after `close()`.
///
/// Order: replies and callbacks come in the order commands were sent, with
/// one exception, the NOSCRIPT retry (see `evalScript`). Across a reconnect,
/// commands in flight fail in order before `.down` is reported, and with
/// `.queue` the commands sent while down go out, in order, before `.ready` is
/// reported.
///
/// The connection never reports `.ready` before AUTH, SELECT and the
/// SCRIPT LOAD of every registered script have succeeded (see
/// `RedisHandshake`), and reconnects after a loss with exponential backoff
/// and jitter (`ReconnectBackoff`).
public final class RedisConnection: RedisLinkOwner {
    /// Receives the reply to one command (error replies as `.server`).
    public typealias ReplyHandler = (Result<RESPValue, RedisError>) -> Void

    enum Pending {
        case command(ReplyHandler)
        /// An EVALSHA; `command` keeps its bytes for one retry after NOSCRIPT.
        case script(ReplyHandler, RedisScript, command: [UInt8], retried: Bool)
        /// A SCRIPT LOAD of our own, not the caller's.
        case scriptLoad(RedisScript)
    }

    public let url: RedisURL
    public let options: RedisConnectionOptions
    public weak var delegate: RedisConnectionDelegate?
    public private(set) var state = RedisConnectionState.idle
    public internal(set) var statistics = RedisConnectionStatistics()

    unowned(unsafe) let loop: EventLoop
    let link: RedisLink
    var pending = ReplyQueue<Pending>()
    /// How many of `pending`, from the front, were written to the current connection.
    var inFlight = 0
    /// Commands encoded while down (`.queue` only), sent after the next handshake.
    private var queued: [UInt8] = []
    /// Every script ever used, loaded on each (re)connect before `.ready`.
    var scripts: [RedisScript] = []
    var knownScripts: Set<RedisScript> = []
    /// Scripts with a SCRIPT LOAD of ours written and not yet answered.
    var loadsInFlight: Set<RedisScript> = []
    private var watchdog: TimerID?
    private var repliesAtLastCheck: UInt64 = 0
    private var awaitingAtLastCheck = false

    /// Resolves the URL's host (blocking, so do this at start-up) and
    /// prepares the connection; `start()` connects. `scripts` are loaded on
    /// every connect before the connection reports `.ready`.
    public init(
        url: RedisURL, loop: EventLoop, options: RedisConnectionOptions = RedisConnectionOptions(), scripts: [RedisScript] = []
    ) throws(RedisError) {
        self.url = url
        self.loop = loop
        self.options = options
        link = try RedisLink(
            url: url, loop: loop,
            options: RedisLink.Options(
                connectTimeoutMilliseconds: options.connectTimeoutMilliseconds, backoff: options.backoff,
                decoderLimits: options.decoderLimits, role: "redis"))
        link.owner = self
        for script in scripts where knownScripts.insert(script).inserted { self.scripts.append(script) }
    }

    deinit {
        link.stop()
        while let entry = pending.popFirst() { fail(entry, .closed) }
    }

    /// Starts connecting (once).
    public func start() {
        guard case .idle = state else { return }
        link.start()
    }

    /// Closes for good: commands already written are flushed (replies are not
    /// awaited), and every pending callback is called with `.closed`, in order.
    public func close() {
        if case .closed = state { return }
        state = .closed
        link.stop()
        stopWatchdog()
        queued = []
        inFlight = 0
        while let entry = pending.popFirst() { fail(entry, .closed) }
        delegate?.redisConnection(self, didChangeState: .closed)
    }

    /// Callbacks waiting for a reply (in flight and queued).
    public var pendingReplyCount: Int { pending.count }

    /// Encoded bytes not yet handed to the kernel (queued while down, or
    /// waiting in the socket's outbound buffer).
    public var pendingOutboundBytes: Int { queued.count + link.pendingOutboundBytes }

    // MARK: Sending

    /// Sends one command, e.g. `try redis.send("INCR", key) { result in … }`.
    /// Throws (and never calls `reply`) if it cannot be sent; see the type's contract.
    public func send<each Argument: RESPArgument>(
        _ arguments: repeat each Argument, reply: @escaping ReplyHandler
    ) throws(RedisError) {
        try admit()
        appendCommand { RESPEncoder.encodeCommand(repeat each arguments, into: &$0) }
        pending.append(.command(reply))
    }

    /// Sends one command of `argumentCount` arguments (name included) that
    /// `encode` appends, for argument lists built at run time.
    public func send(
        argumentCount: Int, _ encode: (inout RESPArgumentWriter) -> Void, reply: @escaping ReplyHandler
    ) throws(RedisError) {
        try admit()
        appendCommand { RESPEncoder.encodeCommand(argumentCount: argumentCount, into: &$0, encode) }
        pending.append(.command(reply))
    }

    /// Checks that one more command may be accepted now.
    func admit() throws(RedisError) {
        switch state {
        case .closed:
            throw .closed
        case .ready:
            let waiting = link.pendingOutboundBytes
            if waiting >= options.maxOutboundBytes {
                throw .outboundBufferFull(pending: waiting, limit: options.maxOutboundBytes)
            }
        case .idle, .connecting, .down:
            guard case .queue(let maxBytes) = options.whileDown else { throw .notReady }
            if queued.count >= maxBytes { throw .outboundBufferFull(pending: queued.count, limit: maxBytes) }
        }
        if pending.count >= options.maxPendingReplies { throw .tooManyPendingReplies(limit: options.maxPendingReplies) }
    }

    /// Encodes into the socket's buffer when ready, else into the queue.
    func appendCommand(_ encode: (inout [UInt8]) -> Void) {
        statistics.commandsSent += 1
        if case .ready = state {
            link.write(encode)
            inFlight += 1
        } else {
            encode(&queued)
        }
    }

    // MARK: Replies

    private func deliver(_ reply: RESPValue, to handler: ReplyHandler) {
        if let message = reply.errorMessage {
            handler(.failure(.server(String(decoding: message, as: UTF8.self))))
        } else {
            handler(.success(reply))
        }
    }

    private func fail(_ entry: Pending, _ error: RedisError) {
        switch entry {
        case .command(let handler), .script(let handler, _, _, _): handler(.failure(error))
        case .scriptLoad: break
        }
    }

    // MARK: Reply timeout

    /// Checks every `replyTimeoutMilliseconds` while ready: if replies were
    /// awaited at the last check and none has arrived since, the server (or
    /// the path to it) is gone although TCP has not noticed.
    private func startWatchdog() {
        guard options.replyTimeoutMilliseconds > 0, watchdog == nil else { return }
        repliesAtLastCheck = statistics.repliesReceived
        awaitingAtLastCheck = inFlight > 0
        watchdog = loop.schedule(afterMilliseconds: options.replyTimeoutMilliseconds) { [weak self] in self?.checkReplies() }
    }

    private func checkReplies() {
        watchdog = nil
        guard case .ready = state else { return }
        if awaitingAtLastCheck && inFlight > 0 && statistics.repliesReceived == repliesAtLastCheck {
            link.drop(.timeout("no reply within \(options.replyTimeoutMilliseconds) ms"))
            return
        }
        startWatchdog()
    }

    private func stopWatchdog() {
        if let watchdog { loop.cancel(watchdog) }
        watchdog = nil
    }

    // MARK: RedisLinkOwner

    func handshakeForNewConnection() -> RedisHandshake {
        RedisHandshake(url: url, clientName: options.clientName.map { Array($0.utf8) }, selectsDatabase: true, scripts: scripts)
    }

    func linkIsConnecting() {
        if case .connecting = state { return }
        state = .connecting
        delegate?.redisConnection(self, didChangeState: .connecting)
    }

    func linkDidBecomeReady(reconnected: Bool) {
        state = .ready
        if reconnected { statistics.reconnects += 1 }
        loadsInFlight = []
        if !queued.isEmpty {
            link.write(queued)
            queued = []
        }
        inFlight = pending.count
        startWatchdog()
        delegate?.redisConnection(self, didChangeState: .ready)
    }

    func linkDidReceive(_ reply: RESPValue) {
        guard inFlight > 0, let entry = pending.popFirst() else {
            link.drop(.unexpectedReply("a reply arrived with no command waiting for it: \(reply)"))
            return
        }
        inFlight -= 1
        statistics.repliesReceived += 1
        switch entry {
        case .command(let handler):
            deliver(reply, to: handler)
        case .scriptLoad(let script):
            scriptLoaded(script, reply: reply)
        case .script(let handler, let script, let command, let retried):
            if !retried, let message = reply.errorMessage, message.starts(with: "NOSCRIPT".utf8) {
                retryScript(script, command: command, handler: handler)
            } else {
                deliver(reply, to: handler)
            }
        }
    }

    func linkDidGoDown(_ reason: RedisError, retryInMilliseconds: Int) {
        state = .down(reason, retryInMilliseconds: retryInMilliseconds)
        stopWatchdog()
        loadsInFlight = []
        let lost = RedisError.connectionLost(reason.description)
        var failed = 0
        while failed < inFlight, let entry = pending.popFirst() {
            failed += 1
            fail(entry, lost)
        }
        inFlight = 0
        // A callback may have closed the connection; then it said so already.
        guard case .down = state else { return }
        delegate?.redisConnection(self, didChangeState: state)
    }
}
