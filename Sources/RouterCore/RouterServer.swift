@preconcurrency import Glibc
import Metrics
import Reactor
import RouterProtocol
import StoreClient
import StoreProtocol

/// The router process: accepts gateway links on a Unix-domain socket, hands
/// joins, lines and leaves to its `RoomEngine`, and fans what the engine
/// orders out once per gateway with members in the room. One thread, one
/// loop; the engine orders each room's lines (the memory engine in arrival
/// order), which gives every room a single total order.
public final class RouterServer {
    /// Settings from the command line.
    public struct Configuration: Sendable {
        public var socketPath: String
        /// Unsent bytes to one gateway above which the router stops reading
        /// from all gateways until it drains (backpressure, never loss).
        public var highWaterBytes = 8 << 20
        /// Unsent bytes to one gateway at which its link is cut (the gateway
        /// reconnects and replays its members).
        public var linkLimitBytes = 256 << 20
        /// Gateways `machat` runs. After a (re)start the router relays no line
        /// until this many gateways have rejoined their members (READY), so
        /// lines held during an outage reach members of every gateway; 0: no wait.
        public var expectedGateways = 0
        /// The longest the router waits for them.
        public var rejoinWindowMilliseconds = 2000
        /// Bounds on the rooms' history.
        public var history = HistoryLimits()
        /// Share rooms with other nodes through Redis; nil: the memory engine.
        public var redis: RedisEngineSettings?
        /// The history store's socket (machat-store); nil: history in memory only.
        public var storeSocketPath: String?

        public init(socketPath: String) {
            self.socketPath = socketPath
        }
    }

    let configuration: Configuration
    let loop: EventLoop
    public let directory = RoomDirectory()
    public let engine: RoomEngine
    private var links: [GatewayID: GatewayLink] = [:]
    private var nextGatewayID: GatewayID = 1
    private var listener: Listener?
    private var signals: SignalSource?
    private var congestedLinks = 0
    private var ackPending: [GatewayLink] = []
    private var ackScheduled = false
    private var warmingUp = false
    private var startedAt: UInt64 = 0
    private let ownUID = getuid()
    /// This process's counters (`Sources/Metrics`; `RouterServer+Metrics.swift`).
    let metrics = RouterMetrics(slot: MetricsRegion.slotForThisProcess())

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        let loop = try EventLoop()
        self.loop = loop
        if let redis = configuration.redis {
            self.engine = try RedisEngine(directory: directory, loop: loop, settings: redis)
        } else if let storePath = configuration.storeSocketPath {
            let retention = RetentionSettings(
                linesPerRoom: UInt32(min(configuration.history.linesPerRoom, Int(UInt32.max))),
                ttlMilliseconds: configuration.history.ttlMilliseconds)
            var options = StoreLinkOptions(retention: retention)
            // Above the gateways' own bound for unacknowledged lines (64 MiB
            // each by default), so a client past it is told its line was not
            // accepted before the router would have to pause everyone.
            options.maxUncommittedBytes = 256 << 20
            let store = StoreLink(socketPath: storePath, loop: loop, options: options)
            self.engine = MemoryEngine(directory: directory, limits: configuration.history, store: store)
        } else {
            self.engine = MemoryEngine(directory: directory, limits: configuration.history)
        }
        engine.attach(self)
        publishMetrics()
    }

    /// Binds the socket and runs until SIGTERM/SIGINT.
    public func run() throws(SystemError) {
        let fd = try Socket.listenUnix(path: configuration.socketPath)
        listener = try Listener(fd: fd, loop: loop) { [unowned self] client in accept(client) }
        signals = try SignalSource(signals: [SIGTERM, SIGINT], loop: loop) { [unowned self] signal in
            Log.info("stopping", ["signal": signal])
            loop.stop()
        }
        Log.info(
            "router listening",
            [
                "socket": configuration.socketPath, "expected_gateways": configuration.expectedGateways,
                "history_size": configuration.history.linesPerRoom, "history_ttl_ms": configuration.history.ttlMilliseconds,
                "history_memory": configuration.history.memoryBytes,
            ])
        scheduleTick()
        if configuration.expectedGateways == 0 { engine.rejoinWindowEnded() }
        if configuration.expectedGateways > 0 {
            warmingUp = true
            startedAt = MonotonicClock.now()
            loop.schedule(afterMilliseconds: configuration.rejoinWindowMilliseconds) { [unowned self] in
                endRejoinWindow(complete: false)
            }
        }
        loop.run()
        _ = unlink(configuration.socketPath)
        Log.info("router stopped", ["rooms": directory.roomCount, "members": directory.memberCount])
    }

    private func accept(_ fd: FileDescriptor) {
        // Mode 0600 on the socket and 0700 on its directory already keep other
        // users out; checking the peer's uid is the second lock (unix(7)).
        guard let peer = Socket.peerCredentials(fd), peer.uid == ownUID else {
            let who = Socket.peerCredentials(fd)
            Log.warn(
                "refused a link from another user",
                ["peer_uid": who.map { String($0.uid) } ?? "unknown", "peer_pid": who.map { String($0.pid) } ?? "unknown"])
            fd.close()
            return
        }
        do {
            let connection = try StreamConnection(fd: fd, loop: loop, outboundLimit: configuration.linkLimitBytes)
            connection.notifiesOnDrain = true
            let link = GatewayLink(id: nextGatewayID, connection: connection, server: self)
            nextGatewayID &+= 1
            connection.delegate = link
            links[link.id] = link
            updateReadPause(link)
            Log.debug("gateway connected", ["link": link.id, "peer_pid": peer.pid])
        } catch {
            Log.error("could not register gateway link", ["error": error])
            fd.close()
        }
    }

    /// Acts on one frame from a gateway.
    func handle(_ frame: RouterFrame, from link: GatewayLink) {
        switch (link.phase, frame) {
        case (.ready, .say(let conn, let text)):
            text.withUnsafeBytes { say(conn: conn, text: $0, from: link) }
        case (.ready, .join(let conn, let name, let room, let options)):
            Log.debug("join", ["gateway": link.name, "conn": conn, "name": name, "room": room])
            engine.join(
                JoinIntent(
                    gateway: link.id, conn: conn, name: name, room: room, options: options, gatewayInstance: link.instance))
        case (.ready, .leave(let conn)):
            if let member = directory.member(gateway: link.id, conn: conn) { engine.leave(member) }
        case (.ready, .fetch(let conn, let after, let through, let maxBytes)):
            // A member that left meanwhile needs no more history.
            guard let member = directory.member(gateway: link.id, conn: conn) else { return }
            engine.fetch(member, after: after, through: through, maxBytes: min(Int(maxBytes), Self.maxFetchBytes))
        case (.awaitingHello, .hello(let version, let gateway, let instance)):
            guard version == RouterProtocol.version else {
                Log.error(
                    "gateway speaks another protocol version; closing its link",
                    ["gateway": gateway, "version": version, "supported": RouterProtocol.version])
                link.connection.close(.local("unsupported protocol version \(version)"))
                return
            }
            link.name = gateway
            link.instance = instance
            link.phase = .ready
            send(.welcome(version: RouterProtocol.version), to: link)
            Log.info("gateway ready", ["link": link.id, "gateway": gateway])
        case (.ready, .ready(let firstSequence)):
            link.sentReady = true
            link.firstHeldSequence = firstSequence
            link.framesThroughReady = link.processedFrames &+ 1
            Log.debug("gateway rejoined its members", ["gateway": link.name, "first_sequence": firstSequence])
            if warmingUp {
                updateReadPause(link)
                if links.values.filter(\.sentReady).count >= configuration.expectedGateways {
                    endRejoinWindow(complete: true)
                }
            }
        default:
            unexpected("\(frame)", from: link)
        }
    }

    /// The most history one FETCH gets, so one answer is bounded work for the
    /// loop and fits a frame with room to spare.
    static let maxFetchBytes = 256 << 10

    /// A line from a member: the engine orders it, then it goes out once per
    /// gateway with members in its room.
    func say(conn: ConnectionID, text: UnsafeRawBufferPointer, from link: GatewayLink) {
        guard link.phase == .ready else {
            unexpected("SAY", from: link)
            return
        }
        guard let member = directory.member(gateway: link.id, conn: conn) else {
            // A say racing its own leave or a refused join: nothing to deliver.
            return
        }
        let frame = link.processedFrames &+ 1
        if !engine.say(
            member, text: text, sequence: link.sequence(ofFrame: frame), token: CompletionToken(gateway: link.id, frame: frame))
        {
            link.completions.begin(frame)
        }
    }

    /// A frame the gateway may not send now: the link is closed.
    func unexpected(_ frame: String, from link: GatewayLink) {
        Log.error("unexpected frame from gateway; closing its link", ["gateway": link.name, "frame": frame])
        link.connection.close(.local("unexpected frame \(frame)"))
    }

    /// True while the rejoin window holds a link that is READY: its later
    /// frames (lines, new joins) wait until every gateway's members are back.
    func isHolding(_ link: GatewayLink) -> Bool {
        warmingUp && link.sentReady
    }

    /// Ends the rejoin window and relays what the held links sent meanwhile.
    private func endRejoinWindow(complete: Bool) {
        guard warmingUp else { return }
        warmingUp = false
        engine.rejoinWindowEnded()
        let waited = (MonotonicClock.now() - startedAt) / 1_000_000
        if complete {
            Log.info("all gateways rejoined; relaying", ["waited_ms": waited])
        } else {
            Log.warn(
                "rejoin window over before every gateway was back; relaying",
                [
                    "waited_ms": waited, "ready": links.values.filter(\.sentReady).count,
                    "expected": configuration.expectedGateways,
                ])
        }
        for link in links.values {
            updateReadPause(link)
            link.processFrames()
        }
    }

    private func updateReadPause(_ link: GatewayLink) {
        link.connection.isReadPaused = congestedLinks > 0 || isHolding(link) || engine.isBackedUp
    }

    /// Engine housekeeping (history expiry) once a second.
    private func scheduleTick() {
        loop.schedule(afterMilliseconds: 1000) { [unowned self] in
            engine.tick()
            publishMetrics()
            scheduleTick()
        }
    }

    /// Writes `frame` (built by `encode`) to every gateway with members in
    /// `room`: one frame per gateway, never one per member.
    @inline(__always)
    private func fanOut(_ room: Room, _ encode: (inout [UInt8]) -> Void) {
        for (gateway, _) in room.presence {
            guard let target = links[gateway] else { continue }
            let connection = target.connection
            connection.write(encode)
            if !target.isCongested && connection.pendingOutboundBytes > configuration.highWaterBytes {
                setCongested(target, true)
            }
        }
    }

    private func send(_ frame: RouterFrame, to link: GatewayLink) {
        link.connection.write { frame.encode(into: &$0) }
    }

    /// Called after a read batch: acknowledge at the end of the turn, once the
    /// deliveries those frames caused are written to every gateway's socket.
    func noteProcessed(_ link: GatewayLink) {
        guard link.acknowledgeableFrames != link.acknowledgedFrames else { return }
        ackPending.append(link)
        scheduleAcks()
    }

    private func scheduleAcks() {
        guard !ackScheduled else { return }
        ackScheduled = true
        loop.atEndOfTurn { [unowned self] in
            ackScheduled = false
            sendAcks()
        }
    }

    /// An ACK promises the gateway that every delivery caused by the
    /// acknowledged frames is in the kernel's socket buffers of every gateway,
    /// where it survives this process dying (unix(7) queues data to the peer).
    /// So ACKs go out only when no link has unsent bytes; otherwise they wait
    /// for the drain.
    private func sendAcks() {
        guard !ackPending.isEmpty else { return }
        // A link still has unsent deliveries: retry when it drains.
        if links.values.contains(where: { $0.connection.pendingOutboundBytes > 0 }) { return }
        let pending = ackPending
        ackPending.removeAll(keepingCapacity: true)
        for link in pending where link.connection.isOpen && link.acknowledgeableFrames != link.acknowledgedFrames {
            link.acknowledgedFrames = link.acknowledgeableFrames
            send(.ack(count: link.acknowledgedFrames), to: link)
        }
    }

    func linkDrained(_ link: GatewayLink) {
        if link.isCongested { setCongested(link, false) }
        if !ackPending.isEmpty { scheduleAcks() }
    }

    /// Backpressure: while any gateway is behind, read from no gateway.
    private func setCongested(_ link: GatewayLink, _ congested: Bool) {
        link.isCongested = congested
        let before = congestedLinks
        congestedLinks += congested ? 1 : -1
        if (before == 0) != (congestedLinks == 0) {
            let pause = congestedLinks > 0
            Log.warn(
                pause ? "gateway link congested; pausing reads" : "gateway links drained; resuming reads", ["gateway": link.name])
            for other in links.values { updateReadPause(other) }
        }
    }

    func linkClosed(_ link: GatewayLink, reason: CloseReason) {
        links[link.id] = nil
        if link.isCongested { setCongested(link, false) }
        let before = directory.memberCount
        engine.removeGateway(link.id)
        let removed = before - directory.memberCount
        // A link that never said HELLO is a readiness probe (machat's) or a stray.
        if link.phase == .awaitingHello {
            Log.debug("link closed before hello", ["link": link.id, "reason": reason])
            return
        }
        Log.info("gateway disconnected", ["link": link.id, "gateway": link.name, "members_removed": removed, "reason": reason])
        if !ackPending.isEmpty { scheduleAcks() }
    }
}

// MARK: Engine events

extension RouterServer: RoomEngineEvents {
    public func joined(_ member: Member, grant: JoinGrant, members: [String]) {
        guard let link = links[member.gateway] else { return }
        // MEMBERS frames precede JOINED; each stays far below the frame limit.
        var chunk: [String] = []
        var chunkBytes = 0
        for name in members {
            if chunkBytes + name.utf8.count + 2 > Self.maxFetchBytes || chunk.count == Int(UInt16.max) {
                send(.members(conn: member.conn, names: chunk), to: link)
                chunk.removeAll(keepingCapacity: true)
                chunkBytes = 0
            }
            chunk.append(name)
            chunkBytes += name.utf8.count + 2
        }
        if !chunk.isEmpty { send(.members(conn: member.conn, names: chunk), to: link) }
        send(.joined(conn: member.conn, room: member.room.id, grant: grant), to: link)
        Log.debug("joined", ["gateway": link.name, "conn": member.conn, "name": member.name, "room": member.room.name])
    }

    public func refused(gateway: GatewayID, conn: ConnectionID, reason: String) {
        guard let link = links[gateway] else { return }
        send(.rejected(conn: conn, reason: reason), to: link)
        Log.info("join refused", ["gateway": link.name, "conn": conn, "reason": reason])
    }

    public func ordered(
        room: Room, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer
    ) {
        metrics.linesOrdered.increment()
        fanOut(room) { buffer in
            RouterFrame.appendDeliver(room: room.id, offset: offset, time: time, name: name, text: text, into: &buffer)
        }
    }

    public func presence(room: Room, kind: PresenceKind, time: UInt64, name: String) {
        let frame = RouterFrame.presence(room: room.id, kind: kind, time: time, name: name)
        fanOut(room) { frame.encode(into: &$0) }
    }

    public func history(for member: Member, batch: HistoryBatch) {
        guard let link = links[member.gateway], directory.member(gateway: member.gateway, conn: member.conn) === member
        else { return }
        link.connection.write { buffer in
            let start = RouterFrame.beginHistory(conn: member.conn, into: &buffer)
            buffer.append(contentsOf: batch.bytes)
            RouterFrame.finishHistory(start: start, next: batch.next, done: batch.done, into: &buffer)
        }
    }

    public func completed(_ token: CompletionToken) {
        guard let link = links[token.gateway] else { return }
        link.completions.complete(token.frame)
        noteProcessed(link)
    }

    public func backpressureChanged() {
        for link in links.values { updateReadPause(link) }
    }

    public func backingAnswered(afterNanoseconds nanoseconds: UInt64) {
        metrics.backingRoundTrip.observe(nanoseconds / 1_000)
    }

    public func epochChanged(room: Room, grant: JoinGrant, members: [String]) {
        Log.warn(
            "room log lost its continuity; members get the new epoch",
            ["room": room.name, "epoch": grant.epoch, "offset": grant.lastOffset])
        for member in room.members.values {
            guard let link = links[member.gateway] else { continue }
            if member.options.wantsMembers && !members.isEmpty { send(.members(conn: member.conn, names: members), to: link) }
            send(.joined(conn: member.conn, room: room.id, grant: grant), to: link)
        }
    }
}
