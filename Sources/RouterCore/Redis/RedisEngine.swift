import Reactor
import Redis
import RouterProtocol

/// Settings of the Redis engine (`machat -redis …`).
public struct RedisEngineSettings: Sendable {
    /// One URL per shard; each room lives on one, by `ShardRing`.
    public var urls: [RedisURL]
    /// Prefix of every key and channel (`-redis-prefix`).
    public var prefix = "machat:"
    /// This node's name in Redis, stable across router restarts (machat
    /// picks one per run); members are owned by it.
    public var nodeID: String
    public var history = HistoryLimits()
    /// A node that has not refreshed its lease for this long is gone: the
    /// survivors remove its members.
    public var leaseMilliseconds = 5000
    /// A join waiting this long for an unreachable Redis is refused.
    public var joinWaitMilliseconds = 10_000

    public init(urls: [RedisURL], nodeID: String) {
        self.urls = urls
        self.nodeID = nodeID
    }
}

/// The shared room engine: rooms, names, offsets, history and presence live
/// in Redis, so several MaChat nodes are one chat service with one order per
/// room (see `RedisScripts` for the keys and scripts).
///
/// Lines go to the room's shard in one script call per shard per loop turn,
/// which orders them, appends them to the room's stream and publishes them to
/// its channel; every node — this one included — delivers a room's lines
/// from the channel, in offset order, filling any gap from the stream.
public final class RedisEngine: RoomEngine {
    let directory: RoomDirectory
    unowned(unsafe) let loop: EventLoop
    public let settings: RedisEngineSettings
    unowned(unsafe) var events: RoomEngineEvents!
    private(set) var shards: [RedisShard] = []
    private let ring: ShardRing
    /// Rooms with local members or joins, by name.
    private(set) var feeds: [String: RoomFeed] = [:]
    private var feedsByChannel: [[UInt8]: RoomFeed] = [:]
    /// This router process's generation: members it registers are owned by
    /// `node/generation/…`, so after a restart its older entries are known stale.
    let generation: UInt64
    /// Lines kept in each stream: the history, and at least enough to fill
    /// the gaps a node can see (`gapWindow`).
    let streamLength: Int

    /// A node cut off from Redis for a while (its connections reconnect
    /// with backoff) catches up from the stream; this many lines per room
    /// are kept for that even when the history is shorter. Measured: a Redis
    /// restart under 1,500 lines/s left a node about 1,000 lines behind.
    static let gapWindow = 10_000
    /// The script's fixed leading arguments, encoded once.
    private(set) var scriptHeader: (bytes: [UInt8], count: Int) = ([], 0)
    private let channelPrefix: [UInt8]
    public private(set) var isBackedUp = false
    public var isBackingHealthy: Bool { shards.allSatisfy(\.isInStep) }
    /// Joins not yet answered, for the wait limit (by member identity).
    private var waitingJoins: [ObjectIdentifier: (member: Member, since: UInt64)] = [:]

    /// Creates the shards' connections (resolving their hosts: do this at start-up).
    public init(directory: RoomDirectory, loop: EventLoop, settings: RedisEngineSettings) throws(RedisError) {
        self.directory = directory
        self.loop = loop
        self.settings = settings
        ring = ShardRing(urls: settings.urls)
        generation = WallClock.milliseconds()
        streamLength = max(settings.history.linesPerRoom, Self.gapWindow)
        channelPrefix = Array((settings.prefix + "c:").utf8)
        for (index, url) in settings.urls.enumerated() {
            shards.append(try RedisShard(index: index, url: url, engine: self, loop: loop))
        }
        rebuildScriptHeader()
    }

    public func attach(_ events: RoomEngineEvents) {
        self.events = events
        Log.info(
            "room engine: redis",
            [
                "shards": settings.urls.map(\.description).joined(separator: ","), "node": settings.nodeID,
                "prefix": settings.prefix, "generation": generation,
            ])
        for shard in shards { shard.start() }
        scheduleLease()
    }

    /// Prefix, stream length, TTL, dedupe TTL and a fresh candidate epoch:
    /// any room a batch creates (or finds without state) gets that epoch.
    private func rebuildScriptHeader() {
        var bytes: [UInt8] = []
        let ttl = max(settings.history.ttlMilliseconds, 1000)
        let values = [
            settings.prefix, String(streamLength), String(ttl), String(Self.dedupeMilliseconds), Epoch.make(),
        ]
        for value in values { Self.appendArgument(value, into: &bytes) }
        scriptHeader = (bytes, values.count)
    }

    /// How long a gateway process's last sequence is remembered: far longer
    /// than any resend after a failure.
    static let dedupeMilliseconds = 3_600_000
    /// How often a join for a new name asks again while Redis recovers lost names.
    static let recoveryRetryMilliseconds = 250

    // MARK: Operations

    private func shard(of room: String) -> RedisShard {
        shards[ring.shard(forRoom: room)]
    }

    func owner(of member: Member) -> String {
        "\(settings.nodeID)/\(generation)/\(String(member.gatewayInstance, radix: 16))/\(member.conn)"
    }

    public func join(_ intent: JoinIntent) {
        let member: Member
        switch directory.reserve(
            gateway: intent.gateway, conn: intent.conn, name: intent.name, room: intent.room,
            gatewayInstance: intent.gatewayInstance, options: intent.options)
        {
        case .failure(let refusal):
            events.refused(gateway: intent.gateway, conn: intent.conn, reason: refusal.reason)
            return
        case .success(let reserved):
            member = reserved
        }
        let feed = feed(for: intent.room)
        feed.joinsInFlight += 1
        waitingJoins[ObjectIdentifier(member)] = (member, MonotonicClock.now())
        enqueueJoin(member, operation: .join(member, member.room))
    }

    private func enqueueJoin(_ member: Member, operation: RedisShard.Operation) {
        let owner = owner(of: member)
        let isRejoin: Bool
        if case .rejoin = operation { isRejoin = true } else { isRejoin = false }
        shard(of: member.room.name).enqueue(operation, count: 6) { bytes in
            Self.appendArgument("J", into: &bytes)
            Self.appendArgument(member.room.name, into: &bytes)
            Self.appendArgument(member.name, into: &bytes)
            Self.appendArgument(owner, into: &bytes)
            Self.appendArgument(member.options.wantsMembers ? "1" : "0", into: &bytes)
            Self.appendArgument(isRejoin ? "1" : "0", into: &bytes)
        }
    }

    public func say(_ member: Member, text: UnsafeRawBufferPointer, sequence: UInt64, token: CompletionToken) -> Bool {
        if member.engineBytes.isEmpty {
            // The `S` operation's member arguments: room, name, owner, instance.
            Self.appendArgument(member.room.name, into: &member.engineBytes)
            Self.appendArgument(member.name, into: &member.engineBytes)
            Self.appendArgument(owner(of: member), into: &member.engineBytes)
            Self.appendArgument(String(member.gatewayInstance, radix: 16), into: &member.engineBytes)
        }
        shard(of: member.room.name).enqueueLine(
            of: member, memberArguments: member.engineBytes, sequence: sequence, text: text, token: token)
        updateBackpressure()
        return false
    }

    public func leave(_ member: Member) {
        let room = member.room
        guard directory.leave(gateway: member.gateway, conn: member.conn) != nil else { return }
        enqueueLeave(member, room: room.name)
    }

    public func removeGateway(_ gateway: GatewayID) {
        for (member, room) in directory.removeGateway(gateway) { enqueueLeave(member, room: room.name) }
    }

    private func enqueueLeave(_ member: Member, room: String) {
        waitingJoins[ObjectIdentifier(member)] = nil
        let owner = owner(of: member)
        shard(of: room).enqueue(.leave, count: 4) { bytes in
            Self.appendArgument("L", into: &bytes)
            Self.appendArgument(room, into: &bytes)
            Self.appendArgument(member.name, into: &bytes)
            Self.appendArgument(owner, into: &bytes)
        }
        releaseFeedIfUnused(room)
    }

    public func fetch(_ member: Member, after: UInt64, through: UInt64, maxBytes: Int) {
        let room = member.room.name
        let count = min(Int(min(through - min(after, through), 4096)), 4096)
        guard count > 0 else {
            events.history(for: member, batch: HistoryBatch(next: through, done: true))
            return
        }
        readStream(room: room, from: after + 1, through: through, count: count) { [unowned self] lines, exhausted in
            guard let lines else {
                // Redis is away: try again shortly; the member keeps waiting.
                loop.schedule(afterMilliseconds: 200) { [unowned self] in
                    guard directory.member(gateway: member.gateway, conn: member.conn) === member else { return }
                    fetch(member, after: after, through: through, maxBytes: maxBytes)
                }
                return
            }
            let cutoff = expiryCutoff()
            var batch = HistoryBatch(next: after)
            var size = 0
            var examined = after
            var full = false
            for line in lines where line.offset > after && line.offset <= through {
                if line.time > cutoff {
                    let lineSize = RouterFrame.historyLineSize(nameCount: line.name.count, textCount: line.text.count)
                    if batch.count > 0 && size + lineSize > maxBytes {
                        full = true
                        break
                    }
                    line.name.withUnsafeBytes { name in
                        line.text.withUnsafeBytes { text in
                            batch.append(offset: line.offset, time: line.time, name: name, text: text)
                        }
                    }
                    size += lineSize
                }
                examined = line.offset
            }
            // Done at `through`, or when the stream had nothing more to give.
            batch.next = examined
            batch.done = examined >= through || (!full && exhausted)
            if batch.done { batch.next = through }
            events.history(for: member, batch: batch)
        }
    }

    /// Lines older than this wall-clock time (ms) are past the TTL.
    private func expiryCutoff() -> UInt64 {
        let now = WallClock.milliseconds()
        return now > settings.history.ttlMilliseconds ? now - settings.history.ttlMilliseconds : 0
    }

    /// The lines `from … through` of `room` from its stream, at most about
    /// `count` of them; nil if Redis could not be asked. `exhausted` is true
    /// when the stream had nothing more up to `through`.
    func readStream(
        room: String, from: UInt64, through: UInt64, count: Int,
        _ done: @escaping (_ lines: [StreamLine]?, _ exhausted: Bool) -> Void
    ) {
        // Entries hold a batch of lines each: ask for enough entries, and
        // keep only the lines wanted.
        let entries = max(1, min(count, 256))
        do {
            try shard(of: room).connection.evalScript(
                RedisScripts.read, keys: [String](),
                arguments: [settings.prefix, room, String(from), String(through), String(entries)]
            ) { result in
                switch result {
                case .success(let reply):
                    let exhausted = (reply.elements?.count ?? 0) < entries
                    done(StreamLine.lines(of: reply).filter { $0.offset >= from && $0.offset <= through }, exhausted)
                case .failure:
                    done(nil, false)
                }
            }
        } catch {
            done(nil, false)
        }
    }

    // MARK: Results

    /// The answers of one batch, in the order of its operations.
    func batchCompleted(_ batch: RedisShard.Batch, results: [RESPValue], shard: RedisShard) {
        for (index, operation) in batch.operations.enumerated() {
            let result = index < results.count ? results[index] : .nullArray
            switch operation {
            case .say(let token):
                events.completed(token)
            case .join(let member, let room):
                joinAnswered(member, room: room, result: result)
            case .rejoin(let member, let room):
                rejoinAnswered(member, room: room, result: result)
            case .check(let room):
                checkAnswered(room, result: result)
            case .leave:
                break
            case .reconcile:
                if let removed = result.elements?.dropFirst().first?.integer, removed > 0 {
                    Log.info(
                        "removed this node's members from before the router restart",
                        ["shard": shard.url.description, "members": removed])
                }
            }
        }
        updateBackpressure()
    }

    private func joinAnswered(_ member: Member, room: Room, result: RESPValue) {
        let fields = result.elements ?? []
        let stillHere = member.isPending && directory.member(gateway: member.gateway, conn: member.conn) === member
        if fields.first?.bytes == Array("wait".utf8), stillHere {
            // Redis is recovering lost names: ask again shortly (the join
            // stays in flight, and `tick` still bounds how long it waits).
            loop.schedule(afterMilliseconds: Self.recoveryRetryMilliseconds) { [unowned self] in
                if member.isPending && directory.member(gateway: member.gateway, conn: member.conn) === member {
                    enqueueJoin(member, operation: .join(member, room))
                } else {
                    joinAnswered(member, room: room, result: .nullArray)
                }
            }
            return
        }
        waitingJoins[ObjectIdentifier(member)] = nil
        let feed = feeds[room.name]
        feed?.joinsInFlight -= 1
        if fields.first?.bytes == Array("ok".utf8) {
            if !stillHere {
                // Refused for waiting too long, or gone: undo the registration.
                enqueueLeave(member, room: room.name)
            } else if let feed, fields.count >= 4, let epoch = fields[1].bytes, let last = fields[2].integer,
                let first = fields[3].integer
            {
                let names =
                    fields.count > 4
                    ? (fields[4].elements ?? []).compactMap { $0.bytes.map { String(decoding: $0, as: UTF8.self) } } : []
                let parts = JoinGrantParts(
                    epoch: String(decoding: epoch, as: UTF8.self), lastOffset: UInt64(last), firstHeld: UInt64(first))
                feed.admissions.append(
                    RoomFeed.Admission(member: member, after: UInt64(last), grant: parts, names: names.sorted()))
            }
        } else if stillHere {
            directory.cancel(member)
            events.refused(
                gateway: member.gateway, conn: member.conn,
                reason: RoomDirectory.Refusal.nameTaken(name: member.name, room: room.name).reason)
        }
        if let feed { drain(feed) }
        releaseFeedIfUnused(room.name)
    }

    /// A member registered again after Redis lost its state: if the name
    /// went to someone else meanwhile, this member must go.
    private func rejoinAnswered(_ member: Member, room: Room, result: RESPValue) {
        guard result.elements?.first?.bytes != Array("ok".utf8),
            directory.member(gateway: member.gateway, conn: member.conn) === member
        else { return }
        directory.leave(gateway: member.gateway, conn: member.conn)
        events.refused(
            gateway: member.gateway, conn: member.conn,
            reason: RoomDirectory.Refusal.nameTaken(name: member.name, room: room.name).reason)
        releaseFeedIfUnused(room.name)
    }

    /// The answer to a state check after a reconnect: a new epoch means the
    /// room's log lost continuity.
    private func checkAnswered(_ room: String, result: RESPValue) {
        guard let feed = feeds[room], let fields = result.elements, fields.count >= 2, let epochBytes = fields[0].bytes,
            let last = fields[1].integer
        else { return }
        let epoch = String(decoding: epochBytes, as: UTF8.self)
        if let known = feed.epoch, known != epoch {
            restartFeed(feed, epoch: epoch, lastOffset: UInt64(last))
        } else if feed.epoch == nil {
            feed.epoch = epoch
        }
        drain(feed)
    }

    // MARK: Bounds and housekeeping

    private func updateBackpressure() {
        let buffered = shards.reduce(0) { $0 + $1.bufferedBytes }
        let backedUp = buffered > Self.maxBufferedBytes
        guard backedUp != isBackedUp else { return }
        isBackedUp = backedUp
        Log.warn(
            backedUp ? "redis engine holding too much; pausing gateways" : "redis engine caught up; resuming", ["bytes": buffered]
        )
        events.backpressureChanged()
    }

    /// Lines held for Redis beyond this pause the gateways (which then hold,
    /// and past their own bounds refuse, further lines).
    static let maxBufferedBytes = 256 << 20

    public func tick() {
        // Joins waiting for an unreachable Redis too long are refused; if one
        // is answered later, its registration is undone (`joinAnswered`).
        // At least a lease period and a bit: joins wait that long while Redis recovers lost names.
        let limit = MonotonicClock.ms(max(settings.joinWaitMilliseconds, settings.leaseMilliseconds + 2000))
        let now = MonotonicClock.now()
        for (key, waiting) in waitingJoins where now - waiting.since > limit {
            waitingJoins[key] = nil
            let member = waiting.member
            guard member.isPending, directory.member(gateway: member.gateway, conn: member.conn) === member else { continue }
            Log.warn("join waited too long for redis; refused", ["name": member.name, "room": member.room.name])
            let room = member.room.name
            directory.cancel(member)
            events.refused(
                gateway: member.gateway, conn: member.conn,
                reason: "the chat service cannot reach its store right now; try again in a moment")
            releaseFeedIfUnused(room)
        }
    }

    public func rejoinWindowEnded() {
        // Members this node registered before the router restarted and no
        // gateway replayed are gone; their names are freed.
        for shard in shards {
            shard.enqueue(.reconcile, count: 3) { bytes in
                Self.appendArgument("C", into: &bytes)
                Self.appendArgument(settings.nodeID, into: &bytes)
                Self.appendArgument(String(generation), into: &bytes)
            }
        }
    }

    // MARK: Leases

    private func scheduleLease() {
        loop.schedule(afterMilliseconds: max(200, settings.leaseMilliseconds / 3)) { [unowned self] in
            for shard in shards where shard.isReady { refreshLease(on: shard) }
            scheduleLease()
        }
    }

    private func refreshLease(on shard: RedisShard) {
        do {
            try shard.connection.evalScript(
                RedisScripts.lease, keys: [String](),
                arguments: [
                    settings.prefix, settings.nodeID, String(settings.leaseMilliseconds), shard.registered ? "1" : "0",
                ]
            ) { [unowned self] result in
                guard case .success(let reply) = result, let fields = reply.elements, fields.count >= 2 else { return }
                let existed = fields[0].integer ?? 1
                if let reaped = fields[1].integer, reaped > 0 {
                    Log.info(
                        "removed the members of nodes whose lease ran out", ["shard": shard.url.description, "members": reaped])
                }
                if existed == 0 && shard.registered {
                    Log.warn(
                        "this node's lease was gone from redis; registering its members again", ["shard": shard.url.description])
                    reregister(on: shard)
                }
                shard.registered = true
            }
        } catch {
            Log.debug("lease not refreshed", ["shard": shard.url.description, "error": error])
        }
    }

    /// The shard is (back) up: renew the lease at once, and check every
    /// local room's state there first (Redis may have restarted with older
    /// data, or none). Returns the checks, which go ahead of everything else.
    func shardReady(_ shard: RedisShard) -> RedisShard.Batch {
        refreshLease(on: shard)
        // Publishes missed while this node's connections were down are in the stream.
        for feed in feeds.values where feed.shard == shard.index && feed.next > 0 { catchUp(feed) }
        var checks = RedisShard.Batch()
        for feed in feeds.values where feed.shard == shard.index {
            guard let epoch = feed.epoch else { continue }
            Self.encodeCheck(feed, epoch: epoch, into: &checks)
        }
        return checks
    }

    private func enqueueCheck(_ feed: RoomFeed) {
        guard let epoch = feed.epoch else { return }
        var batch = RedisShard.Batch()
        Self.encodeCheck(feed, epoch: epoch, into: &batch)
        shards[feed.shard].enqueue(batch)
    }

    private static func encodeCheck(_ feed: RoomFeed, epoch: String, into batch: inout RedisShard.Batch) {
        let seen = feed.next > 0 ? feed.next - 1 : 0
        appendArgument("R", into: &batch.arguments)
        appendArgument(feed.name, into: &batch.arguments)
        appendArgument(epoch, into: &batch.arguments)
        appendArgument(String(seen), into: &batch.arguments)
        batch.argumentCount += 4
        batch.operations.append(.check(room: feed.name))
    }

    /// Redis lost this node's state: every local member of the shard's rooms
    /// is registered again, as gateways replay their members to a restarted router.
    private func reregister(on shard: RedisShard) {
        rebuildScriptHeader()
        for member in directory.allMembers where !member.isPending && self.shard(of: member.room.name) === shard {
            enqueueJoin(member, operation: .rejoin(member, member.room))
        }
        for feed in feeds.values where feed.shard == shard.index { enqueueCheck(feed) }
    }

    // MARK: Helpers

    static func appendArgument(_ value: String, into bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { RESPEncoder.encodeBulkString(UnsafeRawBufferPointer($0), into: &bytes) }
    }

    func feed(for room: String) -> RoomFeed {
        if let feed = feeds[room] { return feed }
        let feed = RoomFeed(name: room, shard: ring.shard(forRoom: room), channel: channelPrefix + Array(room.utf8))
        feeds[room] = feed
        feedsByChannel[feed.channel] = feed
        shards[feed.shard].subscriber.subscribe(feed.channel)
        return feed
    }

    /// Stops following a room nobody here is in (or joining).
    func releaseFeedIfUnused(_ room: String) {
        guard let feed = feeds[room], feed.joinsInFlight == 0, feed.admissions.isEmpty, directory.rooms[room] == nil else {
            return
        }
        feeds[room] = nil
        feedsByChannel[feed.channel] = nil
        shards[feed.shard].subscriber.unsubscribe(feed.channel)
    }

    func feed(forChannel channel: [UInt8]) -> RoomFeed? {
        feedsByChannel[channel]
    }
}
