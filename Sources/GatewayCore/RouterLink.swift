@preconcurrency import Glibc
import Reactor
import RouterProtocol

/// The gateway's end of the link to the router: connects, says HELLO, replays
/// the joins of live members after a reconnect, resends what the router has
/// not acknowledged, and reconnects with backoff and jitter when the link drops.
final class RouterLink: StreamConnectionDelegate {
    private unowned(unsafe) let gateway: Gateway
    private let socketPath: String
    private let gatewayName: String
    private let loop: EventLoop
    private var connection: StreamConnection?
    private var decoder = RouterFrameDecoder()
    private(set) var log = HeldFrameLog()
    /// Frames sent on the current link before the held ones (HELLO and the
    /// replayed joins): the router's ACK counts them too.
    private var preambleFrames: UInt64 = 0
    /// Sequence number of the first held frame sent on the current link.
    private var firstSequenceOnLink: UInt64 = 1
    private var backoffMilliseconds = 0
    private var reconnectTimer: TimerID?
    private var downSince: UInt64?
    private(set) var isWelcomed = false
    private var stopped = false
    /// True while the link's socket is above its high-water mark.
    private(set) var isCongested = false
    private let highWaterBytes = 4 << 20
    /// Random per gateway process, sent in HELLO.
    private let instance = UInt64.random(in: 1...UInt64.max)

    init(gateway: Gateway, socketPath: String, gatewayName: String, loop: EventLoop) {
        self.gateway = gateway
        self.socketPath = socketPath
        self.gatewayName = gatewayName
        self.loop = loop
    }

    func start() {
        connect()
    }

    /// Closes the link for good (gateway exit).
    func stop() {
        stopped = true
        if let timer = reconnectTimer { loop.cancel(timer) }
        connection?.closeAfterFlush(.local("gateway stopping"), timeoutMilliseconds: 1000)
    }

    // MARK: Sending

    /// Logs and sends a JOIN; returns its sequence number.
    func sendJoin(conn: ConnectionID, name: String, room: String, options: JoinOptions) -> UInt64 {
        send(conn: conn) { RouterFrame.join(conn: conn, name: name, room: room, options: options).encode(into: &$0) }.sequence
    }

    /// Sends a FETCH. Not logged: a request, not a change; after a router
    /// restart the member's history is started again from its resume point.
    func sendFetch(conn: ConnectionID, after: UInt64, through: UInt64, maxBytes: UInt32) {
        guard let connection, isWelcomed else { return }
        connection.write { RouterFrame.fetch(conn: conn, after: after, through: through, maxBytes: maxBytes).encode(into: &$0) }
    }

    /// Logs and sends a SAY with text borrowed from a read buffer; returns the
    /// frame's size, which counts against the sender's held bytes.
    func sendSay(conn: ConnectionID, text: UnsafeRawBufferPointer) -> Int {
        send(conn: conn) { RouterFrame.appendSay(conn: conn, text: text, into: &$0) }.length
    }

    func sendLeave(conn: ConnectionID) {
        _ = send(conn: conn) { RouterFrame.leave(conn: conn).encode(into: &$0) }
    }

    private func send(conn: ConnectionID, _ encode: (inout [UInt8]) -> Void) -> (sequence: UInt64, length: Int) {
        let (sequence, length) = log.append(conn: conn, encode)
        if let connection {
            log.withLast(length) { connection.write($0) }
            noteOutbound(connection)
        }
        return (sequence, length)
    }

    private func noteOutbound(_ connection: StreamConnection) {
        if !isCongested && connection.pendingOutboundBytes > highWaterBytes {
            isCongested = true
            gateway.routerBackpressureChanged()
        }
    }

    // MARK: Connecting

    private func connect() {
        reconnectTimer = nil
        guard !stopped else { return }
        let fd: FileDescriptor
        do {
            fd = try Socket.connectUnix(path: socketPath)
        } catch {
            scheduleReconnect(after: "\(error)")
            return
        }
        do {
            // The router may fan a burst out to us; the link's limit is far
            // above a client's because the gateway reads it every turn.
            let connection = try StreamConnection(fd: fd, loop: loop, outboundLimit: 512 << 20)
            connection.delegate = self
            connection.notifiesOnDrain = true
            self.connection = connection
        } catch {
            fd.close()
            scheduleReconnect(after: "\(error)")
            return
        }
        decoder = RouterFrameDecoder()
        isWelcomed = false
        replay()
    }

    /// HELLO, then a JOIN for each live member whose join the router had
    /// acknowledged (a fresh router knows none of them), READY, then every
    /// held frame.
    private func replay() {
        guard let connection else { return }
        connection.write {
            RouterFrame.hello(version: RouterProtocol.version, gateway: gatewayName, instance: instance).encode(into: &$0)
        }
        let joins = gateway.membersToReplay(acknowledgedBefore: log.firstSequence)
        for member in joins {
            connection.write {
                RouterFrame.join(conn: member.conn, name: member.name, room: member.room, options: member.options)
                    .encode(into: &$0)
            }
        }
        // READY tells a freshly started router that this gateway's members are
        // all back, so it may relay lines without anyone missing them.
        connection.write { RouterFrame.ready(firstSequence: log.firstSequence).encode(into: &$0) }
        preambleFrames = 2 + UInt64(joins.count)
        firstSequenceOnLink = log.firstSequence
        log.withAll { connection.write($0) }
        if let since = downSince {
            Log.info(
                "router link restored",
                [
                    "socket": socketPath, "down_ms": (MonotonicClock.now() - since) / 1_000_000, "replayed_joins": joins.count,
                    "resent_frames": log.frameCount,
                ])
        } else {
            Log.info("connected to router", ["socket": socketPath])
        }
        noteOutbound(connection)
    }

    private func scheduleReconnect(after error: String) {
        guard !stopped else { return }
        // Exponential backoff from 25 ms to 1 s, with ±50% jitter so gateways
        // restarted together do not reconnect in lockstep.
        backoffMilliseconds = backoffMilliseconds == 0 ? 25 : min(backoffMilliseconds * 2, 1000)
        let jitter = Int.random(in: -(backoffMilliseconds / 2)...(backoffMilliseconds / 2))
        let delay = max(5, backoffMilliseconds + jitter)
        if backoffMilliseconds >= 1000 || downSince == nil {
            Log.warn("router unreachable; retrying", ["socket": socketPath, "error": error, "retry_ms": delay])
        }
        if downSince == nil { downSince = MonotonicClock.now() }
        reconnectTimer = loop.schedule(afterMilliseconds: delay) { [weak self] in self?.connect() }
    }

    // MARK: StreamConnectionDelegate

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        gateway.batchWallClock = WallClock.milliseconds()
        decoder.append(bytes)
        while connection.isOpen {
            let step: RouterDecodeStep
            do {
                // Deliveries go to the members straight from the decoder's buffer.
                step = try decoder.next { view in
                    switch view {
                    case .deliver(let room, let line): gateway.deliver(room: room, line: line)
                    case .history(let conn, let next, let done, let lines):
                        gateway.history(conn: conn, next: next, done: done, lines: lines)
                    case .say: unexpected("SAY", on: connection)
                    }
                }
            } catch {
                Log.error("protocol error from router; reconnecting", ["error": error])
                connection.close(.local("protocol error: \(error)"))
                return
            }
            switch step {
            case .needMore: return
            case .borrowed: continue
            case .frame(let frame): handle(frame, on: connection)
            }
        }
    }

    private func unexpected(_ frame: String, on connection: StreamConnection) {
        Log.error("unexpected frame from router; reconnecting", ["frame": frame])
        connection.close(.local("unexpected frame \(frame)"))
    }

    private func handle(_ frame: RouterFrame, on connection: StreamConnection) {
        switch frame {
        case .joined(let conn, let room, let grant):
            gateway.joinAccepted(conn: conn, room: room, grant: grant)
        case .members(let conn, let names):
            gateway.membersReceived(conn: conn, names: names)
        case .presence(let room, let kind, let time, let name):
            gateway.presence(room: room, kind: kind, time: time, name: name)
        case .rejected(let conn, let reason):
            gateway.joinRefused(conn: conn, reason: reason)
        case .ack(let count):
            acknowledge(count)
        case .welcome(let version):
            guard version == RouterProtocol.version else {
                Log.error("router speaks another protocol version", ["version": version, "supported": RouterProtocol.version])
                connection.close(.local("unsupported protocol version \(version)"))
                return
            }
            isWelcomed = true
            backoffMilliseconds = 0
            downSince = nil
            gateway.routerLinkUp()
        default:
            unexpected("\(frame)", on: connection)
        }
    }

    private func acknowledge(_ count: UInt64) {
        guard count > preambleFrames else { return }
        let through = firstSequenceOnLink + (count - preambleFrames) - 1
        log.acknowledge(through: through) { conn, length in gateway.released(conn: conn, bytes: length) }
        gateway.heldLogShrank()
    }

    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        self.connection = nil
        isWelcomed = false
        if isCongested {
            isCongested = false
            gateway.routerBackpressureChanged()
        }
        guard !stopped else { return }
        Log.warn("router link lost; holding lines and reconnecting", ["reason": reason, "held_frames": log.frameCount])
        downSince = MonotonicClock.now()
        gateway.routerLinkDown()
        scheduleReconnect(after: reason.description)
    }

    func connectionDidDrain(_ connection: StreamConnection) {
        if isCongested {
            isCongested = false
            gateway.routerBackpressureChanged()
        }
    }
}
