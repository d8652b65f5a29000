@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// The router's link to the store process, on the router's `EventLoop`: a
/// non-blocking Unix-domain connection that never blocks the loop and makes
/// no SQLite call.
///
/// Lines appended during one loop turn go out as one APPEND at the end of
/// the turn (a batch is closed early past `maxBatchBytes`). Every batch is
/// kept, encoded, until the store reports it COMMITTED; after a reconnect
/// the link resends every uncommitted batch in order (the store skips what
/// it already has, so nothing is stored twice). Reconnects back off with
/// jitter. `uncommittedBytes` is bounded by the router through
/// `isOverLimit`/`hasRoom(forBytes:)`: `append` itself always takes the line.
public final class StoreLink: EventHandler, Flushable {
    /// One closed batch, kept until committed.
    struct SealedBatch {
        let number: StoreTicket
        let bytes: [UInt8]
        let sealedAt: UInt64
    }

    public let socketPath: String
    public let options: StoreLinkOptions
    /// Must outlive the link (no reference counting on the hot path).
    public unowned(unsafe) var delegate: StoreLinkDelegate?
    unowned(unsafe) let loop: EventLoop

    public private(set) var state = StoreLinkState.idle
    /// What the store last said about committing.
    public private(set) var storeStatus = StoreStatus.healthy
    /// How long the newest committed batch waited from being sealed (the
    /// end of its loop turn) to its commit being acknowledged.
    public private(set) var lastCommitNanoseconds: UInt64 = 0
    /// The highest batch known committed.
    public private(set) var committedThrough: StoreTicket = 0
    /// Encoded bytes of every batch not yet committed (the open one included).
    public private(set) var uncommittedBytes = 0

    private var fd: FileDescriptor?
    /// Bumped on every close, so work begun for one connection is not
    /// finished on the next.
    private var generation = 0
    private var decoder = StoreFrameDecoder()
    private var control: [UInt8] = []
    private var controlSent = 0
    private var sealed: [SealedBatch] = []
    private var head = 0
    private var sendIndex = 0
    private var sendOffset = 0
    private var open: AppendBatchBuilder?
    private var isDirty = false
    private var nextBatch: StoreTicket = 1
    private var writeArmed = false
    private var backoff: ReconnectBackoff
    private var handshakeTimer: TimerID?
    private var reconnectTimer: TimerID?
    private var downLogged = false
    private var stallLogged = false
    private var loadWanted = false
    private var loadRoom: LoadedRoom?
    /// What the timers hold instead of `self` (see `TimerTarget`).
    private let timerTarget = TimerTarget<StoreLink>()

    public init(socketPath: String, loop: EventLoop, options: StoreLinkOptions) {
        self.socketPath = socketPath
        self.loop = loop
        self.options = options
        backoff = options.backoff
        timerTarget.object = self
    }

    deinit {
        timerTarget.object = nil
        // The loop holds a registered link strongly, so a link that goes
        // away while registered outlived its loop: only the descriptor is left.
        fd?.close()
    }

    /// Starts connecting (once); reconnects on its own from then on.
    public func start() {
        guard state == .idle else { return }
        connect()
        watchForStalls()
    }

    /// Closes the connection for good; batches not committed stay uncommitted.
    public func stop() {
        guard state != .stopped else { return }
        closeConnection()
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        reconnectTimer = nil
        setState(.stopped)
    }

    // MARK: Appending

    /// The line `offset` of `room` (in `epoch`), from the SAY `gateway`
    /// names; returns the batch it is in. Bytes are copied at once.
    @discardableResult
    public func append(
        room: String, epoch: String, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer,
        gateway: GatewayMark = .none
    ) -> StoreTicket {
        prepareBatch(
            adding: StoreFrame.lineSize(nameCount: name.count, textCount: text.count) + 19 + room.utf8.count + epoch.utf8.count)
        let before = open!.byteCount
        open!.appendLine(room: room, epoch: epoch, offset: offset, time: time, name: name, text: text, gateway: gateway)
        uncommittedBytes += open!.byteCount - before
        return open!.batch
    }

    /// Records that `room`'s log (in `epoch`) reached `lastOffset` at `time`
    /// without a line to keep: a new room (so its epoch survives a restart
    /// before its first line), or lines while history is off.
    @discardableResult
    public func mark(room: String, epoch: String, lastOffset: UInt64, time: UInt64) -> StoreTicket {
        prepareBatch(adding: 21 + room.utf8.count + epoch.utf8.count)
        let before = open!.byteCount
        open!.appendMark(room: room, epoch: epoch, lastOffset: lastOffset, time: time)
        uncommittedBytes += open!.byteCount - before
        return open!.batch
    }

    /// True once `uncommittedBytes` reached `maxUncommittedBytes`.
    public var isOverLimit: Bool { uncommittedBytes >= options.maxUncommittedBytes }

    /// True if `bytes` more would stay within `maxUncommittedBytes`.
    public func hasRoom(forBytes bytes: Int) -> Bool { uncommittedBytes + bytes <= options.maxUncommittedBytes }

    /// The oldest uncommitted batch has waited longer than
    /// `stallWarningMilliseconds` (the store is away, failing or wedged).
    public var isStalled: Bool {
        head < sealed.count && MonotonicClock.now() - sealed[head].sealedAt > MonotonicClock.ms(options.stallWarningMilliseconds)
    }

    /// Batches not yet committed (the open one included).
    public var uncommittedBatches: Int { sealed.count - head + (open == nil ? 0 : 1) }

    private func prepareBatch(adding bytes: Int) {
        if let current = open, current.recordCount > 0,
            current.byteCount + bytes > options.maxBatchBytes || current.isFullOfRooms
        {
            seal()
        }
        if open == nil {
            open = AppendBatchBuilder(batch: nextBatch, reservingCapacity: min(options.maxBatchBytes, 16 << 10))
            nextBatch += 1
            uncommittedBytes += open!.byteCount
        }
        if !isDirty {
            isDirty = true
            loop.markDirty(self)
        }
    }

    /// Closes the open batch; it is sent with the others.
    private func seal() {
        guard var batch = open else { return }
        open = nil
        sealed.append(SealedBatch(number: batch.batch, bytes: batch.finish(), sealedAt: MonotonicClock.now()))
    }

    /// End of the loop turn: the turn's lines become one batch, and go out.
    public func flush() {
        isDirty = false
        seal()
        writeOut()
    }

    // MARK: Loading

    /// Asks for every room, its recent lines and the dedupe table (the
    /// delegate's `didLoad…` calls, then `didFinishLoad`); sent as soon as
    /// the link is up, and started over after a reconnect mid-load.
    public func load() {
        loadWanted = true
        if state == .ready { beginLoad() }
    }

    private func beginLoad() {
        loadRoom = nil
        delegate?.storeLinkDidBeginLoad(self)
        StoreFrame.load.encode(into: &control)
        writeOut()
    }

    // MARK: Connection

    private func connect() {
        reconnectTimer = nil
        do {
            let socket = try Socket.connectUnix(path: socketPath)
            try loop.register(socket, interest: Interest.read | Interest.readHangup, handler: self)
            fd = socket
        } catch {
            connectionLost("cannot connect to \(socketPath): \(error)")
            return
        }
        writeArmed = false
        control.removeAll(keepingCapacity: true)
        controlSent = 0
        StoreFrame.hello(version: StoreProtocol.version, instance: options.instance, retention: options.retention).encode(
            into: &control)
        setState(.handshaking)
        let expected = generation
        // Not retained: the owner may let go of a link whose timers are pending.
        handshakeTimer = loop.schedule(afterMilliseconds: options.handshakeTimeoutMilliseconds) { [timerTarget] in
            timerTarget.object?.handshakeTimedOut(generation: expected)
        }
        writeOut()
    }

    private func handshakeTimedOut(generation expected: Int) {
        handshakeTimer = nil
        guard generation == expected, state == .handshaking else { return }
        connectionLost("no WELCOME within \(options.handshakeTimeoutMilliseconds) ms")
    }

    private func closeConnection() {
        generation += 1
        if let fd {
            loop.deregister(fd)
            fd.close()
        }
        fd = nil
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil
        decoder = StoreFrameDecoder()
        control.removeAll(keepingCapacity: true)
        controlSent = 0
        sendIndex = head
        sendOffset = 0
        loadRoom = nil
    }

    /// The connection failed or closed: batches wait; try again later.
    private func connectionLost(_ reason: String) {
        guard state != .stopped else { return }
        closeConnection()
        if !downLogged {
            downLogged = true
            Log.warn(
                "history store unreachable; lines wait and the link reconnects",
                ["reason": reason, "uncommitted_batches": uncommittedBatches, "uncommitted_bytes": uncommittedBytes])
        } else {
            Log.debug("history store still unreachable", ["reason": reason])
        }
        setState(.down(reason: reason))
        reconnectTimer = loop.schedule(afterMilliseconds: backoff.nextDelay()) { [timerTarget] in
            timerTarget.object?.connect()
        }
    }

    private func setState(_ new: StoreLinkState) {
        guard new != state else { return }
        state = new
        delegate?.storeLink(self, didChangeState: new)
    }

    // MARK: Writing

    /// Sends control frames, then (once ready) batches from the send cursor,
    /// until the socket would block; EPOLLOUT is armed only while bytes remain.
    private func writeOut() {
        guard let fd, state == .handshaking || state == .ready else { return }
        do {
            while controlSent < control.count {
                let sent = try control.withUnsafeBytes { (raw) throws(SystemError) -> IOResult<Int> in
                    try fd.send(UnsafeRawBufferPointer(rebasing: raw[controlSent...]))
                }
                guard case .done(let n) = sent else { return armWrite(true) }
                controlSent += n
            }
            control.removeAll(keepingCapacity: true)
            controlSent = 0
            if state == .ready {
                while sendIndex < sealed.count {
                    let offset = sendOffset
                    let sent = try sealed[sendIndex].bytes.withUnsafeBytes { (raw) throws(SystemError) -> IOResult<Int> in
                        try fd.send(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    }
                    guard case .done(let n) = sent else { return armWrite(true) }
                    sendOffset += n
                    if sendOffset == sealed[sendIndex].bytes.count {
                        sendIndex += 1
                        sendOffset = 0
                    }
                }
            }
            armWrite(false)
        } catch {
            connectionLost("send failed: \(error)")
        }
    }

    private func armWrite(_ on: Bool) {
        guard on != writeArmed, let fd else { return }
        writeArmed = on
        loop.modify(fd, interest: Interest.read | Interest.readHangup | (on ? Interest.write : 0))
    }

    // MARK: Reading

    public func handleEvents(_ events: UInt32) {
        let current = generation
        if events & Interest.write != 0 { writeOut() }
        guard generation == current, let fd else { return }
        guard events & (Interest.read | Interest.hangup | Interest.error | Interest.readHangup) != 0 else { return }
        do {
            switch try fd.read(into: loop.readBuffer) {
            case .wouldBlock:
                return
            case .done(0):
                connectionLost("the store closed the connection")
            case .done(let n):
                decoder.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<n]))
                processFrames()
            }
        } catch {
            connectionLost("read failed: \(error)")
        }
    }

    private func processFrames() {
        let current = generation
        while generation == current {
            var problem: String?
            let step: StoreDecodeStep
            do {
                step = try decoder.next { view in
                    switch view {
                    case .lines(let room, let lines):
                        guard let loading = loadRoom, loading.id == room else {
                            problem = "LINES for room \(room) outside its ROOM"
                            return
                        }
                        delegate?.storeLink(self, didLoadLines: lines, of: loading)
                    case .append:
                        problem = "APPEND from the store"
                    }
                }
            } catch {
                connectionLost("protocol error: \(error)")
                return
            }
            if let problem {
                Log.error("unexpected frame from the history store; reconnecting", ["frame": problem])
                connectionLost(problem)
                return
            }
            switch step {
            case .needMore: return
            case .borrowed: continue
            case .frame(let frame): handle(frame)
            }
        }
    }

    private func handle(_ frame: StoreFrame) {
        switch (state, frame) {
        case (.handshaking, .welcome(let version, _, let through)):
            guard version == StoreProtocol.version else {
                Log.error(
                    "history store speaks another protocol version", ["version": version, "supported": StoreProtocol.version])
                connectionLost("store protocol version \(version), not \(StoreProtocol.version)")
                return
            }
            if let handshakeTimer { loop.cancel(handshakeTimer) }
            handshakeTimer = nil
            backoff.reset()
            if downLogged {
                downLogged = false
                Log.info("history store reachable again; resending", ["uncommitted_batches": uncommittedBatches])
            }
            setState(.ready)
            acknowledge(through)
            sendIndex = head
            sendOffset = 0
            if loadWanted { beginLoad() } else { writeOut() }
        case (.ready, .committed(let through)):
            acknowledge(through)
        case (.ready, .status(let status)):
            guard status != storeStatus else { return }
            storeStatus = status
            switch status {
            case .healthy: Log.info("history store commits again")
            case .failing(let reason):
                Log.warn("history store cannot commit; lines wait", ["reason": reason, "uncommitted_bytes": uncommittedBytes])
            }
            delegate?.storeLink(self, didReportStatus: status)
        case (.ready, .room(let room)) where loadWanted:
            loadRoom = room
            delegate?.storeLink(self, didLoadRoom: room)
        case (.ready, .gateways(let marks)) where loadWanted:
            for mark in marks { delegate?.storeLink(self, didLoadGateway: mark) }
        case (.ready, .loaded(let summary)) where loadWanted:
            loadWanted = false
            loadRoom = nil
            delegate?.storeLink(self, didFinishLoad: summary)
        default:
            Log.error("unexpected frame from the history store; reconnecting", ["type": frame.typeCode])
            connectionLost("unexpected frame type \(frame.typeCode)")
        }
    }

    /// Every batch through `through` is committed: forget them, tell the delegate.
    private func acknowledge(_ through: StoreTicket) {
        guard through > committedThrough else { return }
        while head < sealed.count && sealed[head].number <= through {
            lastCommitNanoseconds = MonotonicClock.now() &- sealed[head].sealedAt
            uncommittedBytes -= sealed[head].bytes.count
            head += 1
        }
        if sendIndex < head {
            sendIndex = head
            sendOffset = 0
        }
        if head >= 64 && head * 2 >= sealed.count {
            sealed.removeFirst(head)
            sendIndex -= head
            head = 0
        }
        committedThrough = through
        stallLogged = false
        delegate?.storeLink(self, didCommitThrough: through)
    }

    // MARK: Stalls

    /// Once a second: logs (once per episode) when the oldest uncommitted
    /// batch has waited longer than `stallWarningMilliseconds`.
    private func watchForStalls() {
        loop.schedule(afterMilliseconds: 1000) { [timerTarget] in timerTarget.object?.checkForStall() }
    }

    private func checkForStall() {
        guard state != .stopped else { return }
        if head < sealed.count, !stallLogged,
            MonotonicClock.now() - sealed[head].sealedAt > MonotonicClock.ms(options.stallWarningMilliseconds)
        {
            stallLogged = true
            Log.warn(
                "history store has not committed lines for a while; they wait",
                [
                    "waited_ms": (MonotonicClock.now() - sealed[head].sealedAt) / 1_000_000,
                    "uncommitted_batches": uncommittedBatches, "uncommitted_bytes": uncommittedBytes,
                ])
        }
        watchForStalls()
    }
}
