import Reactor

/// What a `RedisLink` tells the client built on it.
protocol RedisLinkOwner: AnyObject {
    /// The handshake for a connection that was just established.
    func handshakeForNewConnection() -> RedisHandshake
    /// A connection attempt starts.
    func linkIsConnecting()
    /// The handshake finished; `reconnected` is false the first time.
    func linkDidBecomeReady(reconnected: Bool)
    /// A reply after the handshake.
    func linkDidReceive(_ reply: RESPValue)
    /// The connection is gone (or was never made); another attempt follows
    /// in `retryInMilliseconds` unless the link is stopped meanwhile.
    func linkDidGoDown(_ reason: RedisError, retryInMilliseconds: Int)
}

/// The transport both Redis clients share: a non-blocking TCP connect with a
/// deadline, the handshake, RESP decoding, and reconnection with backoff. The
/// command connection and the subscriber differ only in what they do with
/// replies, which they learn through `RedisLinkOwner`.
final class RedisLink: EventHandler, StreamConnectionDelegate {
    struct Options {
        /// The whole of TCP connect and handshake must fit in this.
        var connectTimeoutMilliseconds: Int
        var backoff: ReconnectBackoff
        var decoderLimits: RESPDecoderLimits
        /// `redis` or `redis-subscriber`, for log lines.
        var role: String
    }

    private unowned(unsafe) let loop: EventLoop
    weak var owner: RedisLinkOwner?
    private let url: RedisURL
    private let endpoints: [RedisEndpoint]
    private var nextEndpoint = 0
    private var options: Options

    private var connection: StreamConnection?
    /// A socket whose connect is in progress (registered for writability).
    private var connectingSocket: FileDescriptor?
    private var connectingTo = ""
    private var decoder: RESPDecoder
    private var handshake: RedisHandshake?
    private var deadline: TimerID?
    private var retry: TimerID?
    private(set) var isReady = false
    private var wasReady = false
    private var stopped = false
    private var downSince: UInt64?

    init(url: RedisURL, loop: EventLoop, options: Options) throws(RedisError) {
        self.url = url
        self.loop = loop
        self.options = options
        self.endpoints = try RedisEndpoint.resolve(host: url.host, port: url.port)
        self.decoder = RESPDecoder(limits: options.decoderLimits)
    }

    /// Bytes written but not yet sent on the current connection.
    var pendingOutboundBytes: Int { connection?.pendingOutboundBytes ?? 0 }

    func start() {
        connect()
    }

    /// Closes for good: what is already written is flushed (for up to a
    /// second), nothing more is read, the owner hears nothing more.
    func stop() {
        guard !stopped else { return }
        stopped = true
        cancelTimers()
        if let socket = connectingSocket {
            loop.deregister(socket)
            socket.close()
            connectingSocket = nil
        }
        if let connection {
            connection.delegate = nil
            connection.closeAfterFlush(.local("redis client closed"), timeoutMilliseconds: 1000)
            self.connection = nil
        }
        isReady = false
    }

    /// Appends to the current connection's outbound buffer; flushed at the
    /// end of the loop turn. Callers write only while connected.
    @inline(__always)
    func write(_ body: (inout [UInt8]) -> Void) {
        connection?.write(body)
    }

    func write(_ bytes: [UInt8]) {
        connection?.write(bytes)
    }

    /// Abandons the current connection (or attempt) for `reason` and goes down.
    func drop(_ reason: RedisError) {
        if let socket = connectingSocket {
            loop.deregister(socket)
            socket.close()
            connectingSocket = nil
        }
        if let connection {
            connection.delegate = nil
            connection.close(.local(reason.description))
            self.connection = nil
        }
        goDown(reason)
    }

    // MARK: Connecting

    private func connect() {
        retry = nil
        guard !stopped else { return }
        owner?.linkIsConnecting()
        guard !stopped else { return }
        let endpoint = endpoints[nextEndpoint % endpoints.count]
        nextEndpoint &+= 1
        connectingTo = endpoint.description
        deadline = loop.schedule(afterMilliseconds: options.connectTimeoutMilliseconds) { [weak self] in
            guard let self else { return }
            self.deadline = nil
            self.drop(
                .timeout(
                    "no connection and handshake with \(self.connectingTo) within \(self.options.connectTimeoutMilliseconds) ms"))
        }
        do throws(SystemError) {
            let (socket, connected) = try endpoint.startConnect()
            if connected {
                established(socket)
                return
            }
            do {
                try loop.register(socket, interest: Interest.write, handler: self)
            } catch {
                socket.close()
                throw error
            }
            connectingSocket = socket
        } catch {
            goDown(.connectFailed(address: endpoint.description, error))
        }
    }

    /// The connect in progress finished (writable, or an error or hangup).
    func handleEvents(_ events: UInt32) {
        guard let socket = connectingSocket else { return }
        loop.deregister(socket)
        connectingSocket = nil
        let error = RedisEndpoint.pendingConnectError(socket)
        if error != 0 {
            socket.close()
            goDown(.connectFailed(address: connectingTo, SystemError("connect", errno: error)))
            return
        }
        established(socket)
    }

    private func established(_ socket: FileDescriptor) {
        let connection: StreamConnection
        do {
            // Our own limits (RedisConnectionOptions) bound what is queued;
            // the stream's hard limit is only a backstop.
            connection = try StreamConnection(fd: socket, loop: loop, outboundLimit: Int.max / 4)
        } catch {
            socket.close()
            goDown(.connectFailed(address: connectingTo, error))
            return
        }
        connection.delegate = self
        self.connection = connection
        decoder = RESPDecoder(limits: options.decoderLimits)
        guard let owner else { return }
        let handshake = owner.handshakeForNewConnection()
        connection.write { handshake.encode(into: &$0) }
        self.handshake = handshake
    }

    private func becomeReady() {
        if let deadline { loop.cancel(deadline) }
        deadline = nil
        handshake = nil
        isReady = true
        options.backoff.reset()
        let reconnected = wasReady
        wasReady = true
        if let since = downSince {
            Log.info(
                "\(options.role) connection restored",
                ["redis": url.description, "address": connectingTo, "down_ms": (MonotonicClock.now() - since) / 1_000_000])
        } else {
            Log.info("\(options.role) connected", ["redis": url.description, "address": connectingTo])
        }
        downSince = nil
        owner?.linkDidBecomeReady(reconnected: reconnected)
    }

    private func goDown(_ reason: RedisError) {
        if let deadline { loop.cancel(deadline) }
        deadline = nil
        isReady = false
        handshake = nil
        decoder = RESPDecoder(limits: options.decoderLimits)
        guard !stopped else { return }
        let delay = options.backoff.nextDelay()
        // One line when the link goes down, then one each time the backoff
        // reaches its cap, so a long outage does not flood the log.
        if downSince == nil || options.backoff.nominalMilliseconds >= options.backoff.maximumMilliseconds {
            Log.warn(
                "\(options.role) unavailable; retrying",
                ["redis": url.description, "error": reason.description, "retry_ms": delay])
        }
        if downSince == nil { downSince = MonotonicClock.now() }
        retry = loop.schedule(afterMilliseconds: delay) { [weak self] in self?.connect() }
        owner?.linkDidGoDown(reason, retryInMilliseconds: delay)
    }

    private func cancelTimers() {
        if let deadline { loop.cancel(deadline) }
        if let retry { loop.cancel(retry) }
        deadline = nil
        retry = nil
    }

    // MARK: StreamConnectionDelegate

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection, let owner else { return }
        decoder.feed(bytes)
        while connection === self.connection {
            let reply: RESPValue
            do {
                guard let next = try decoder.next() else { return }
                reply = next
            } catch {
                Log.error("\(options.role) protocol error; reconnecting", ["redis": url.description, "error": error.description])
                drop(.protocolViolation(error))
                return
            }
            if handshake == nil {
                owner.linkDidReceive(reply)
                continue
            }
            switch handshake!.receive(reply) {
            case .pending:
                break
            case .warning(let text):
                Log.error("\(options.role) set-up step refused", ["redis": url.description, "error": text])
            case .ready:
                becomeReady()
            case .failed(let error):
                drop(error)
            }
        }
    }

    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        guard connection === self.connection else { return }
        self.connection = nil
        goDown(.disconnected(reason.description))
    }
}
