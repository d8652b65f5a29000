import Reactor
import RouterProtocol
import StoreClient
import StoreProtocol

/// The one-node room engine: names and presence from the `RoomDirectory`,
/// offsets and history in a `RoomLog` per room, in this process's memory.
/// Every answer is given at once. A log outlives its room's last member
/// until its lines expire.
///
/// Without a store a router restart loses the logs, so every room starts a
/// new epoch. With one (`StoreLink` to machat-store, SQLite) every line is
/// also sent to the store, off this loop and batched; the logs are loaded
/// back at start, and a line counts as complete (acknowledged to its
/// gateway) only once the store has committed it. Delivery never waits for
/// the disk.
public final class MemoryEngine: RoomEngine {
    let directory: RoomDirectory
    public let limits: HistoryLimits
    unowned(unsafe) var events: RoomEngineEvents!
    /// Every log held, by room name, with or without members.
    private(set) var logs: [String: RoomLog] = [:]
    /// Least recently active first; a log moves to the end when it gets a line.
    private var oldest: RoomLog?
    private var newest: RoomLog?
    /// Memory of every log together, in bytes.
    public internal(set) var totalBytes = 0
    /// True while the memory bound is forcing evictions (logged once per episode).
    private var evictingForMemory = false
    /// The wall clock in milliseconds; tests substitute their own.
    let clock: () -> UInt64
    /// The durable copy of the logs, if any.
    let store: StoreLink?
    /// False until the store's logs are loaded: gateways wait meanwhile.
    var loaded: Bool
    /// Lines ordered and delivered, waiting for the store to commit them
    /// (tickets ascend); their frames are acknowledged then.
    var awaitingCommit: [(ticket: StoreTicket, token: CompletionToken)] = []
    var awaitingHead = 0
    /// The highest sequence stored per gateway process: a line a gateway
    /// resends after a router restart that the store already holds is
    /// acknowledged without being ordered again.
    var storedSequences: [UInt64: UInt64] = [:]
    /// When loading started, for the log line.
    var loadStartedAt: UInt64 = 0
    var wasBackedUp = false

    public init(
        directory: RoomDirectory, limits: HistoryLimits, store: StoreLink? = nil,
        clock: @escaping () -> UInt64 = WallClock.milliseconds
    ) {
        self.directory = directory
        self.limits = limits
        self.clock = clock
        self.store = store
        self.loaded = store == nil
    }

    public func attach(_ events: RoomEngineEvents) {
        self.events = events
        guard let store else { return }
        store.delegate = self
        loadStartedAt = MonotonicClock.now()
        store.start()
        store.load()
        wasBackedUp = true
    }

    /// Gateways wait while the logs load, and while the store is so far
    /// behind that it holds its maximum of uncommitted lines.
    public var isBackedUp: Bool { !loaded || (store?.isOverLimit ?? false) }

    public var isBackingHealthy: Bool {
        guard let store else { return true }
        return loaded && store.state.isUp && store.storeStatus == .healthy && !store.isStalled
    }

    /// Lines held in every log.
    public var lineCount: Int { logs.values.reduce(0) { $0 + $1.count } }
    /// Logs held (rooms with a log, whether or not they have members).
    public var logCount: Int { logs.count }

    /// The log of a room, if one is held (for tests and metrics).
    public func log(of room: String) -> RoomLog? { logs[room] }

    // MARK: Joining and leaving

    public func join(_ intent: JoinIntent) {
        let member: Member
        switch directory.join(
            gateway: intent.gateway, conn: intent.conn, name: intent.name, room: intent.room,
            gatewayInstance: intent.gatewayInstance, options: intent.options)
        {
        case .failure(let refusal):
            events.refused(gateway: intent.gateway, conn: intent.conn, reason: refusal.reason)
            return
        case .success(let joined):
            member = joined
        }
        let room = member.room
        let now = clock()
        let log = room.log ?? logs[intent.room] ?? newLog(named: intent.room, now: now)
        room.log = log
        expire(log, now: now)
        let grant = grant(for: intent.options, log: log)
        let members = intent.options.wantsMembers ? room.members.keys.sorted() : []
        // Before `joined`, so the newcomer's own gateway does not show it its
        // own arrival: it is not among that gateway's members of the room yet.
        events.presence(room: room, kind: .join, time: now, name: member.name)
        events.joined(member, grant: grant, members: members)
    }

    /// What a join gets: where live lines start, which history to fetch, and
    /// whether a resume recovered everything it missed.
    func grant(for options: JoinOptions, log: RoomLog) -> JoinGrant {
        let last = log.lastOffset
        var grant = JoinGrant(lastOffset: last, historyFrom: 0, recovered: false, epoch: log.epoch)
        let cap = min(options.history.map(Int.init) ?? limits.linesPerRoom, limits.linesPerRoom)
        if let resume = options.resume {
            // Every line after `since` must still be held for a recovery.
            if resume.epoch == log.epoch && resume.since <= last && resume.since &+ 1 >= log.firstOffset {
                grant.recovered = true
                grant.historyFrom = resume.since < last ? resume.since + 1 : 0
                return grant
            }
            if options.isRejoin { return grant }
            return withRecent(grant, lines: cap, log: log)
        }
        guard let history = options.history, history > 0 else { return grant }
        return withRecent(grant, lines: min(Int(history), limits.linesPerRoom), log: log)
    }

    private func withRecent(_ grant: JoinGrant, lines: Int, log: RoomLog) -> JoinGrant {
        let count = min(lines, log.count)
        guard count > 0 else { return grant }
        var grant = grant
        grant.historyFrom = log.lastOffset - UInt64(count) + 1
        return grant
    }

    public func leave(_ member: Member) {
        // Held strongly: the room object goes away with its last member.
        let room = member.room
        guard directory.leave(gateway: member.gateway, conn: member.conn) != nil else { return }
        announceLeave(member.name, from: room)
    }

    public func removeGateway(_ gateway: GatewayID) {
        for (member, room) in directory.removeGateway(gateway) { announceLeave(member.name, from: room) }
    }

    private func announceLeave(_ name: String, from room: Room) {
        // A room that just emptied has nobody left to tell.
        guard !room.members.isEmpty else { return }
        events.presence(room: room, kind: .leave, time: clock(), name: name)
    }

    // MARK: Lines

    public func say(_ member: Member, text: UnsafeRawBufferPointer, sequence: UInt64, token: CompletionToken) -> Bool {
        let room = member.room
        let log = room.log!
        let now = clock()
        if store != nil, sequence > 0, let stored = storedSequences[member.gatewayInstance], sequence <= stored {
            // Stored before the router restarted; its gateway resent it
            // because the acknowledgement was lost with the old router.
            return true
        }
        let offset: UInt64
        if limits.linesPerRoom > 0 {
            let before = log.bytes
            offset = member.nameBytes.withUnsafeBytes {
                log.append(time: now, name: $0, text: text, maxLines: limits.linesPerRoom)
            }
            totalBytes += log.bytes - before
            touch(log)
            if let oldestTime = log.oldestTime, isExpired(oldestTime, now: now) { expire(log, now: now) }
            if totalBytes > limits.memoryBytes { enforceMemory() }
        } else {
            offset = log.skip()
            log.lastActive = now
        }
        guard let store else {
            member.nameBytes.withUnsafeBytes { events.ordered(room: room, offset: offset, time: now, name: $0, text: text) }
            return true
        }
        // To the store first: its link then flushes ahead of the deliveries
        // it was not behind already (see README, "What durable means").
        let ticket = member.nameBytes.withUnsafeBytes { name in
            limits.linesPerRoom > 0
                ? store.append(
                    room: room.name, epoch: log.epoch, offset: offset, time: now, name: name, text: text,
                    gateway: GatewayMark(instance: member.gatewayInstance, sequence: sequence))
                : store.mark(room: room.name, epoch: log.epoch, lastOffset: offset, time: now)
        }
        if sequence > 0 { storedSequences[member.gatewayInstance] = sequence }
        awaitingCommit.append((ticket, token))
        member.nameBytes.withUnsafeBytes { events.ordered(room: room, offset: offset, time: now, name: $0, text: text) }
        noteBackpressure()
        return false
    }

    public func fetch(_ member: Member, after: UInt64, through: UInt64, maxBytes: Int) {
        guard let log = member.room.log else { return }
        expire(log, now: clock())
        var batch = HistoryBatch(next: after)
        var size = 0
        if after < through {
            log.forEachLine(in: (after + 1)...through) { offset, time, name, text in
                // At least one line, however large, so every fetch progresses.
                let lineSize = RouterFrame.historyLineSize(nameCount: name.count, textCount: text.count)
                if batch.count > 0 && size + lineSize > maxBytes { return false }
                batch.append(offset: offset, time: time, name: name, text: text)
                size += lineSize
                return true
            }
        }
        if batch.count == 0 || batch.next >= through || batch.next >= log.lastOffset {
            batch.done = true
            batch.next = max(batch.next, through)
        }
        events.history(for: member, batch: batch)
    }

    /// Nothing outlives this engine's router: a restart starts from nothing.
    public func rejoinWindowEnded() {}

    // MARK: Bounds

    public func tick() {
        let now = clock()
        for log in Array(logs.values) {
            expire(log, now: now)
            // A log nobody is in and whose lines all expired is forgotten:
            // the room's next member starts a new epoch.
            if log.count == 0 && directory.rooms[log.name]?.log !== log && isExpired(log.lastActive, now: now) {
                drop(log)
            }
        }
        if evictingForMemory && totalBytes < limits.memoryBytes / 10 * 9 {
            evictingForMemory = false
            Log.info("history memory back under its bound", ["bytes": totalBytes, "limit": limits.memoryBytes])
        }
    }

    /// Drops the lines of `log` older than the TTL.
    func expire(_ log: RoomLog, now: UInt64) {
        let before = log.bytes
        while let time = log.oldestTime, isExpired(time, now: now) { log.evictOldest() }
        totalBytes += log.bytes - before
    }

    /// A line of `time` is past the TTL at `now` (no overflow for any TTL).
    @inline(__always)
    private func isExpired(_ time: UInt64, now: UInt64) -> Bool {
        now >= limits.ttlMilliseconds && time <= now - limits.ttlMilliseconds
    }

    /// Over the memory bound: the least recently active rooms lose their
    /// oldest lines first, until the total fits again.
    func enforceMemory() {
        if !evictingForMemory {
            evictingForMemory = true
            Log.warn(
                "history memory bound reached; dropping the oldest lines of the least recently active rooms",
                ["bytes": totalBytes, "limit": limits.memoryBytes])
        }
        var candidate = oldest
        while totalBytes > limits.memoryBytes, let log = candidate {
            let before = log.bytes
            if !log.evictOldest() {
                candidate = log.newer
                continue
            }
            totalBytes += log.bytes - before
        }
    }

    private func newLog(named name: String, now: UInt64) -> RoomLog {
        let log = RoomLog(name: name, epoch: Epoch.make(), now: now)
        adopt(log)
        // The epoch is durable before the room's first line.
        store?.mark(room: name, epoch: log.epoch, lastOffset: 0, time: now)
        return log
    }

    /// Holds `log` (new, or loaded from the store).
    func adopt(_ log: RoomLog) {
        logs[log.name] = log
        totalBytes += log.bytes
        touch(log)
    }

    /// Forgets every log (a load that has to start over).
    func forgetLogs() {
        for log in Array(logs.values) { drop(log) }
    }

    private func drop(_ log: RoomLog) {
        unlist(log)
        totalBytes -= log.bytes
        logs[log.name] = nil
    }

    /// Moves `log` to the most recently active end of the list.
    func touch(_ log: RoomLog) {
        guard newest !== log else { return }
        unlist(log)
        log.older = newest
        log.newer = nil
        newest?.newer = log
        newest = log
        if oldest == nil { oldest = log }
        log.isListed = true
    }

    private func unlist(_ log: RoomLog) {
        guard log.isListed else { return }
        if let older = log.older { older.newer = log.newer } else { oldest = log.newer }
        if let newer = log.newer { newer.older = log.older } else { newest = log.older }
        log.older = nil
        log.newer = nil
        log.isListed = false
    }
}
