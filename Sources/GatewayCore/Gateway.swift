@preconcurrency import Glibc
import Metrics
import Auth
import Reactor
import RouterProtocol
import WebAssets
import WebSocket

/// A gateway process: terminates client connections (TCP or WebSocket),
/// relays joins and lines to the router, and writes each delivery to its
/// local members of the room, encoded once and shared by all of them.
public final class Gateway {
    /// The client-facing wire protocol.
    public enum Kind: Sendable {
        case tcp
        case webSocket(WebSocketOptions)
    }

    /// Settings from the command line.
    public struct Configuration: Sendable {
        public var kind: Kind
        public var routerSocketPath: String
        public var limits = GatewayLimits()
        /// Verifies join tokens; nil: rooms are open to every join.
        public var tokens: JWTVerifier?
        /// Which peers start their connections with a PROXY protocol
        /// header (`-proxy-protocol`, `-trusted-proxies`); nil: none.
        public var proxyProtocol: ProxyProtocolPolicy?

        public init(kind: Kind, routerSocketPath: String) {
            self.kind = kind
            self.routerSocketPath = routerSocketPath
        }
    }

    let configuration: Configuration
    let loop: EventLoop
    var limits: GatewayLimits { configuration.limits }
    var link: RouterLink!
    private var listener: Listener?
    private var signals: SignalSource?
    var sessions: [ConnectionID: GatewaySession] = [:]
    var rooms: [RoomID: LocalRoom] = [:]
    private var nextConn: ConnectionID = 1
    /// Reused per delivery: the line framed once per format for every member.
    var textScratch: [UInt8] = []
    var jsonScratch: [UInt8] = []
    private var draining = false
    private var finished = false
    /// True while the router cannot take more: clients are not read.
    private(set) var clientsPaused = false
    let isWebSocket: Bool
    /// Connection counts shared with sibling gateways on the same socket.
    let acceptBoard = AcceptBoard.inherited()
    private var steppingAsideSince: UInt64?
    private var lastStepAside: UInt64 = 0
    /// The browser chat page, when this WebSocket gateway serves it.
    let webSite: WebSite?
    /// This process's counters (`Sources/Metrics`): the hot path only adds to them.
    let metrics = GatewayMetrics(slot: MetricsRegion.slotForThisProcess())
    /// The wall clock in milliseconds, read once per batch from the router
    /// (not once per delivery), for the delivery latency histogram.
    var batchWallClock: UInt64 = 0
    /// Per client address: connections held and joins (nil: limits off).
    var addressTable: ClientAddressTable?
    var addressSweepScheduled = false

    public init(configuration: Configuration) throws(SystemError) {
        self.configuration = configuration
        self.loop = try EventLoop()
        if case .webSocket(let options) = configuration.kind {
            isWebSocket = true
            webSite = options.servesWebPage ? WebSite() : nil
        } else {
            isWebSocket = false
            webSite = nil
        }
        addressTable = Self.makeAddressTable(configuration.limits)
        let name = "\(isWebSocket ? "ws" : "tcp")-\(getpid())"
        link = RouterLink(gateway: self, socketPath: configuration.routerSocketPath, gatewayName: name, loop: loop)
    }

    /// Serves clients from `listenerFD` until SIGTERM/SIGINT, then drains.
    public func run(listenerFD: FileDescriptor) throws(SystemError) {
        listener = try Listener(fd: listenerFD, loop: loop) { [unowned self] fd in accept(fd) }
        if let board = acceptBoard {
            board.publish(0)
            listener?.admission = { [unowned self] in acceptAdmission(board) }
        }
        signals = try SignalSource(signals: [SIGTERM, SIGINT], loop: loop) { [unowned self] signal in
            beginDrain(signal: signal)
        }
        link.start()
        if case .webSocket(let options) = configuration.kind, options.pingIntervalMilliseconds > 0 {
            schedulePingRound(every: options.pingIntervalMilliseconds)
        }
        loop.run()
    }

    /// Dead-peer detection for WebSocket clients: one sweep per interval pings
    /// the idle ones and closes those that ignored the previous ping, so a
    /// vanished peer costs at most two intervals.
    private func schedulePingRound(every interval: Int) {
        loop.schedule(afterMilliseconds: interval) { [unowned self] in
            for session in sessions.values {
                guard let session = session as? WebSocketSession else { continue }
                _ = session.pingRound()
            }
            if !draining { schedulePingRound(every: interval) }
        }
    }

    // MARK: Clients

    private func accept(_ fd: FileDescriptor) {
        if sessions.count >= limits.maxConnections {
            refuseConnection(fd)
            return
        }
        guard let origin = admitAddress(of: fd) else { return }
        Socket.setNoDelay(fd)
        let connection: StreamConnection
        do {
            connection = try StreamConnection(fd: fd, loop: loop, outboundLimit: limits.outboundBytesPerConnection)
            connection.receivedBytesCounter = metrics.clientReceivedBytes.cell
            connection.sentBytesCounter = metrics.clientSentBytes.cell
        } catch {
            Log.error("could not register a client", ["error": error])
            if origin.isCounted, let peer = origin.peer { releaseAddress(peer.address) }
            fd.close()
            return
        }
        let conn = nextConn
        nextConn &+= 1
        if nextConn == 0 { nextConn = 1 }
        let session: GatewaySession
        switch configuration.kind {
        case .tcp:
            session = TCPSession(conn: conn, connection: connection, gateway: self)
        case .webSocket(let options):
            session = WebSocketSession(conn: conn, connection: connection, gateway: self, options: options)
        }
        connection.delegate = session
        sessions[conn] = session
        adopt(origin, for: session)
        acceptBoard?.publish(sessions.count)
        metrics.connections.add(1)
        metrics.connectionsAccepted.increment()
        if clientsPaused { session.updateReadPause() }
        if isWebSocket {
            startTimeout(session, milliseconds: limits.handshakeTimeoutMilliseconds, what: "websocket handshake not completed")
        } else {
            startJoinTimer(session)
        }
    }

    /// Closes the session if it has not joined `joinTimeoutMilliseconds` from
    /// now (slowloris). WebSocket sessions start it once upgraded.
    func startJoinTimer(_ session: GatewaySession) {
        let ms = limits.joinTimeoutMilliseconds
        let within = ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
        startTimeout(
            session, milliseconds: ms,
            what: "no join received within \(within); send {\"name\":\"…\",\"room\":\"…\"} first")
    }

    private func startTimeout(_ session: GatewaySession, milliseconds: Int, what: String) {
        if let timer = session.joinTimer { loop.cancel(timer) }
        // The closure names the session by id rather than holding a weak
        // reference: a weak reference would give every session a side table
        // and slow down every retain on the delivery path.
        let conn = session.conn
        session.joinTimer = loop.schedule(afterMilliseconds: milliseconds) { [unowned self] in
            guard let session = sessions[conn], session.phase == .awaitingJoin, session.connection.isOpen else { return }
            session.joinTimer = nil
            metrics.refused(.timeout)
            Log.info(
                "timeout; closing", ["conn": session.conn, "addr": session.addressText, "what": what, "timeout_ms": milliseconds])
            session.sendError(what, close: true, code: 1008)
        }
    }

    /// Whether to take the next connection from the shared socket: only while
    /// this gateway is among the least loaded of its siblings (ties race),
    /// and a full one only when every sibling is full too. Otherwise it
    /// steps aside for 2 ms, unless it has stepped aside for 50 ms in a row
    /// (a sibling that should take connections is not doing so).
    private func acceptAdmission(_ board: AcceptBoard) -> Int? {
        guard let least = board.leastLoadedSibling() else { return nil }
        let mine = sessions.count
        let eligible = mine >= limits.maxConnections ? least >= limits.maxConnections : mine <= least
        let now = MonotonicClock.now()
        if eligible {
            steppingAsideSince = nil
            return nil
        }
        if let since = steppingAsideSince, now - lastStepAside < MonotonicClock.ms(10) {
            if now - since > MonotonicClock.ms(50) {
                steppingAsideSince = nil
                return nil
            }
        } else {
            steppingAsideSince = now
        }
        lastStepAside = now
        return 2
    }

    /// Over the connection limit: say so in the client's protocol and close.
    private func refuseConnection(_ fd: FileDescriptor) {
        metrics.refused(.full)
        Log.warn("connection limit reached; refusing a client", ["limit": limits.maxConnections])
        let text = "server is full (\(limits.maxConnections) connections on this gateway); try again later"
        let bytes =
            isWebSocket
            ? HTTPResponse.bytes(status: 503, reason: "Service Unavailable", body: text + "\n")
            : Array("error: \(text)\n".utf8)
        bytes.withUnsafeBytes { _ = try? fd.send($0) }
        fd.close()
    }

    /// A client's join was malformed or invalid.
    func refuseJoin(_ session: GatewaySession, _ error: JoinError) {
        metrics.refused(.invalidJoin)
        Log.info("join refused", ["conn": session.conn, "addr": session.addressText, "reason": error.message])
        session.sendError(error.message, close: true, code: 1008)
    }

    /// Validates and relays a join; false if the session was refused.
    func join(_ session: GatewaySession, _ request: JoinRequest) -> Bool {
        // Refusals from here on are in the format the join asked for.
        session.format = request.format
        guard admitJoin(session) else { return false }
        var request = request
        if let tokens = configuration.tokens {
            switch tokens.admit(
                token: request.token, name: request.name.isEmpty ? nil : request.name, room: request.room,
                now: Int64(time(nil)))
            {
            case .failure(let error):
                metrics.refused(.unauthorized)
                // The detail is for the operator; the client hears only what to do.
                Log.info("join refused: token", ["conn": session.conn, "room": request.room, "reason": error.operatorReason])
                session.sendError(error.clientMessage, close: true, code: 1008)
                return false
            case .success(let admission):
                request.name = admission.name
            }
        } else if request.name.isEmpty && request.token != nil {
            refuseJoin(session, .missingField("name"))
            return false
        }
        if let error = request.validate(limits) {
            refuseJoin(session, error)
            return false
        }
        if draining {
            metrics.refused(.draining)
            session.sendShutdownNotice()
            return false
        }
        if link.log.byteCount > limits.heldBytesPerGateway {
            metrics.refused(.busy)
            session.sendError("the server is busy and cannot take new members now; try again shortly", close: true, code: 1013)
            return false
        }
        if let timer = session.joinTimer { loop.cancel(timer) }
        session.joinTimer = nil
        session.name = request.name
        session.roomName = request.room
        session.format = request.format
        session.wantsPresence = request.presence
        session.joinOptions = request.routerOptions(defaultHistory: limits.defaultHistory)
        session.phase = .joining
        session.joinSequence = link.sendJoin(
            conn: session.conn, name: request.name, room: request.room, options: session.joinOptions)
        return true
    }

    /// Relays one line. While the router is away lines wait in the held log,
    /// within bounds; past them the client is told the line was not accepted.
    func say(_ session: GatewaySession, _ line: UnsafeRawBufferPointer) {
        let size = 9 + line.count
        let overConnection = session.heldBytes + size > limits.heldBytesPerConnection
        let overGateway = link.log.byteCount + size > limits.heldBytesPerGateway
        if (!link.isWelcomed && overConnection) || overGateway {
            // One log line per client and episode, not one per refused line.
            if session.refusedLines == 0 {
                Log.warn(
                    "lines not accepted: held-line bound reached",
                    ["conn": session.conn, "name": session.name, "router_up": link.isWelcomed])
            }
            session.refusedLines += 1
            metrics.linesNotAccepted.increment()
            session.sendError(
                "message not accepted: the chat router is unavailable and too much is waiting already; send it again shortly",
                close: false, code: 1013)
            return
        }
        session.refusedLines = 0
        session.heldBytes += link.sendSay(conn: session.conn, text: line)
        metrics.linesIn.increment()
        metrics.heldBytes.set(link.log.byteCount)
    }

    /// Takes a session out of its room and tells the router it left; idempotent.
    func retire(_ session: GatewaySession) {
        guard session.phase != .leaving else { return }
        session.phase = .leaving
        if let timer = session.joinTimer { loop.cancel(timer) }
        session.room.map { room in
            room.remove(session)
            if room.isEmpty { rooms[room.id] = nil }
        }
        if session.joinSequence != 0 { link.sendLeave(conn: session.conn) }
    }

    func sessionClosed(_ session: GatewaySession, reason: CloseReason) {
        retire(session)
        if session.isCountedForAddress, let address = session.clientAddress?.address { releaseAddress(address) }
        sessions[session.conn] = nil
        acceptBoard?.publish(sessions.count)
        metrics.connections.add(-1)
        if case .slowConsumer = reason {
            metrics.slowConsumerDisconnects.increment()
            Log.warn(
                "slow consumer disconnected",
                [
                    "conn": session.conn, "addr": session.addressText, "name": session.name, "room": session.roomName,
                    "reason": reason,
                ])
        } else {
            Log.debug("client closed", ["conn": session.conn, "reason": reason])
        }
        if draining && sessions.isEmpty { finishDrain() }
    }

    // MARK: From the router

    /// Members whose JOIN the router acknowledged before it went away (their
    /// JOIN is no longer in the held log): they are joined again first, each
    /// resuming after the last line it was given.
    func membersToReplay(
        acknowledgedBefore sequence: UInt64
    ) -> [(conn: ConnectionID, name: String, room: String, options: JoinOptions)] {
        sessions.values
            .filter { ($0.phase == .joining || $0.phase == .joined) && $0.joinSequence != 0 && $0.joinSequence < sequence }
            .sorted { $0.conn < $1.conn }
            .map { session in
                session.joinOptions = JoinOptions(
                    resume: session.epoch.isEmpty ? nil : JoinOptions.Resume(since: session.resumeOffset, epoch: session.epoch),
                    wantsMembers: session.format == .json, isRejoin: true)
                return (session.conn, session.name, session.roomName, session.joinOptions)
            }
    }

    /// The live session with this id, if any.
    func session(_ conn: ConnectionID) -> GatewaySession? {
        sessions[conn]
    }

    func released(conn: ConnectionID, bytes: Int) {
        sessions[conn]?.heldBytes -= bytes
    }

    func heldLogShrank() {
        metrics.heldBytes.set(link.log.byteCount)
        if clientsPaused { updateClientsPaused() }
    }

    func routerBackpressureChanged() {
        updateClientsPaused()
    }

    func routerLinkUp() {
        metrics.routerLinkUp.set(true)
        updateClientsPaused()
    }

    /// The router is gone: its room ids mean nothing to the next one, so the
    /// local index is rebuilt from the JOINED answers to the replayed joins.
    /// Each member remembers where it is in its room's log, to resume there.
    func routerLinkDown() {
        metrics.routerLinkUp.set(false)
        for room in rooms.values {
            for member in room.allMembers {
                if let catchUp = member.catchUp {
                    // Its history stops here, but the live lines it was kept
                    // from are sent: the new router may not have them.
                    member.connection.write(catchUp.held)
                    member.catchUp = nil
                    member.connection.notifiesOnDrain = false
                }
                member.resumeOffset = room.lastOffset
                member.room = nil
            }
        }
        rooms.removeAll()
        for session in sessions.values where session.phase == .joined || session.phase == .joining {
            session.phase = .joining
            session.pendingMembers = []
        }
        updateClientsPaused()
    }

    private func updateClientsPaused() {
        // Only a router that does not keep up with reading pauses clients.
        // A router that reads but cannot yet acknowledge (its store or Redis
        // is away) leaves chat going: lines wait unacknowledged, and past
        // -held-per-gateway senders are told theirs was not accepted.
        let paused = link.isCongested
        guard paused != clientsPaused else { return }
        clientsPaused = paused
        Log.info(
            paused ? "router behind; pausing client reads" : "router caught up; resuming client reads",
            ["held_bytes": link.log.byteCount])
        for session in sessions.values { session.updateReadPause() }
    }

    // MARK: Drain

    private func beginDrain(signal: Int32) {
        guard !draining else {
            Log.warn("second stop signal; exiting now")
            loop.stop()
            return
        }
        draining = true
        Log.info("draining", ["signal": signal, "clients": sessions.count])
        listener?.stop()
        for session in sessions.values { session.sendShutdownNotice() }
        if sessions.isEmpty {
            finishDrain()
        } else {
            loop.schedule(afterMilliseconds: limits.drainMilliseconds) { [unowned self] in
                Log.warn("drain deadline passed", ["clients_left": sessions.count])
                finishDrain()
            }
        }
    }

    private func finishDrain() {
        guard !finished else { return }
        finished = true
        link.stop()
        // One more turn lets the LEAVEs reach the router before exit.
        loop.schedule(afterMilliseconds: 50) { [unowned self] in
            Log.info("gateway stopped")
            loop.stop()
        }
    }
}
