import Reactor
import Redis
import RouterProtocol

/// One Redis server holding a share of the rooms: a command connection for
/// the turn scripts, reads and the lease, and a subscriber for the channels
/// of the rooms this node has members in.
///
/// Order: every operation for this shard goes into one batch, and one batch
/// at a time is in flight (the next collects meanwhile, so under load a
/// batch carries many lines). A batch lost with the connection is sent again
/// first when it is back; the scripts make that harmless (a resent line is
/// recognised by its gateway sequence, a join by its owner).
final class RedisShard: RedisConnectionDelegate, RedisSubscriberDelegate {
    /// What one operation of a batch was for, to act on its result.
    enum Operation {
        /// The room is held strongly: a member that leaves before the answer
        /// may take the last reference to it with it.
        case join(Member, Room)
        case say(CompletionToken)
        case leave
        case reconcile
        case check(room: String)
        /// A member that was re-registered (Redis lost its state).
        case rejoin(Member, Room)
    }

    /// Operations encoded as the script's arguments, with what each was for.
    struct Batch {
        var arguments: [UInt8] = []
        var argumentCount = 0
        var operations: [Operation] = []
        /// The member whose line is the last operation, if it is one: its
        /// next line continues it (`T`). A batch's first line is always an `S`.
        var lastSayer: (member: ObjectIdentifier, conn: ConnectionID)?
        var isEmpty: Bool { operations.isEmpty }

        mutating func append(_ other: Batch) {
            guard !other.isEmpty else { return }
            arguments.append(contentsOf: other.arguments)
            argumentCount += other.argumentCount
            operations.append(contentsOf: other.operations)
            lastSayer = other.lastSayer
        }
    }

    let index: Int
    let url: RedisURL
    unowned(unsafe) let engine: RedisEngine
    let connection: RedisConnection
    let subscriber: RedisSubscriber
    private(set) var building = Batch()
    private var inFlight: Batch?
    private var flushScheduled = false
    private var retryTimer: TimerID?
    /// This node's lease was registered here at least once.
    var registered = false
    /// The command connection is up.
    private(set) var isReady = false
    /// The subscriber is up and holds every channel again: publishes of
    /// batches sent from now on reach this node live.
    private var subscriberSettled = false
    private var subscriberConnectedBefore = false
    /// The connection went down since the in-flight batch was sent: its
    /// answer will never come, it goes again on `resume`.
    private var inFlightLost = false
    /// The connection came back and `resume` has not run yet.
    private var awaitingResume = false
    /// When the connection went down (monotonic ns), for logs.
    private var downSince: UInt64?
    /// When the in-flight batch was sent (monotonic ns), for the round-trip histogram.
    private var sentAt: UInt64 = 0

    init(index: Int, url: RedisURL, engine: RedisEngine, loop: EventLoop) throws(RedisError) {
        self.index = index
        self.url = url
        self.engine = engine
        var options = RedisConnectionOptions()
        options.whileDown = .failFast
        options.clientName = "machat-router"
        connection = try RedisConnection(
            url: url, loop: loop, options: options, scripts: [RedisScripts.turn, RedisScripts.lease])
        subscriber = try RedisSubscriber(url: url, loop: loop)
        connection.delegate = self
        subscriber.delegate = self
    }

    func start() {
        connection.start()
        subscriber.start()
    }

    /// Both connections are up and settled: batches flow and this node
    /// hears every publish (`machat_backing_up`).
    var isInStep: Bool { isReady && subscriberSettled && !awaitingResume }

    /// Bytes of operations waiting (collected and in flight).
    var bufferedBytes: Int { building.arguments.count + (inFlight?.arguments.count ?? 0) }

    // MARK: Batching

    /// Adds one operation: its arguments (written by `encode`, `count` of
    /// them) go out with this turn's batch.
    func enqueue(_ operation: Operation, count: Int, _ encode: (inout [UInt8]) -> Void) {
        encode(&building.arguments)
        building.argumentCount += count
        building.operations.append(operation)
        building.lastSayer = nil
        scheduleFlush()
    }

    /// Adds one line of `member` (`S` with the member's arguments, or `T`
    /// right after another line of the same member), encoded in place: the
    /// sequence, then the line as the channel's `M` event.
    func enqueueLine(
        of member: Member, memberArguments: [UInt8], sequence: UInt64, text: UnsafeRawBufferPointer,
        token: CompletionToken
    ) {
        let sayer = (member: ObjectIdentifier(member), conn: member.conn)
        if let last = building.lastSayer, last.member == sayer.member, last.conn == sayer.conn {
            building.arguments.append(contentsOf: Self.continueOperation)
            building.argumentCount += 3
        } else {
            building.arguments.append(contentsOf: Self.sayOperation)
            building.arguments.append(contentsOf: memberArguments)
            building.argumentCount += 7
        }
        RESPEncoder.encodeBulkDecimal(sequence, into: &building.arguments)
        // `M<nameLength> <textLength> <name><text>` as one bulk string.
        let name = member.nameBytes.count
        let length =
            3 + RESPEncoder.decimalDigitCount(UInt64(name)) + RESPEncoder.decimalDigitCount(UInt64(text.count)) + name
            + text.count
        building.arguments.append(UInt8(ascii: "$"))
        RESPEncoder.appendDecimal(magnitude: UInt64(length), to: &building.arguments)
        building.arguments.append(contentsOf: Self.lineStart)
        RESPEncoder.appendDecimal(magnitude: UInt64(name), to: &building.arguments)
        building.arguments.append(UInt8(ascii: " "))
        RESPEncoder.appendDecimal(magnitude: UInt64(text.count), to: &building.arguments)
        building.arguments.append(UInt8(ascii: " "))
        building.arguments.append(contentsOf: member.nameBytes)
        building.arguments.append(contentsOf: text)
        building.arguments.append(contentsOf: Self.crlf)
        building.operations.append(.say(token))
        building.lastSayer = sayer
        scheduleFlush()
    }

    private static let sayOperation = Array("$1\r\nS\r\n".utf8)
    private static let continueOperation = Array("$1\r\nT\r\n".utf8)
    private static let lineStart = Array("\r\nM".utf8)
    private static let crlf = Array("\r\n".utf8)

    /// Adds operations encoded elsewhere (state checks).
    func enqueue(_ batch: Batch) {
        building.append(batch)
        scheduleFlush()
    }

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        engine.loop.atEndOfTurn { [unowned self] in
            flushScheduled = false
            flush()
        }
    }

    /// Sends the collected batch unless one is in flight or Redis is away.
    func flush() {
        guard isReady, subscriberSettled, !awaitingResume, inFlight == nil, !building.isEmpty else { return }
        let batch = building
        building = Batch()
        send(batch)
    }

    private func send(_ batch: Batch) {
        inFlight = batch
        inFlightLost = false
        sentAt = MonotonicClock.now()
        let header = engine.scriptHeader
        do {
            try connection.evalScript(
                RedisScripts.turn, keyCount: 0, argumentCount: header.count + batch.argumentCount,
                { writer in
                    writer.appendEncoded(header.bytes, count: header.count)
                    writer.appendEncoded(batch.arguments, count: batch.argumentCount)
                },
                reply: { [unowned self] result in finished(batch, result) })
        } catch {
            // Not sent (the connection just went down): it goes first when back.
            Log.debug("redis batch not sent; kept for the reconnect", ["shard": url.description, "error": error])
        }
    }

    private func finished(_ batch: Batch, _ result: Result<RESPValue, RedisError>) {
        switch result {
        case .success(let reply):
            inFlight = nil
            engine.events.backingAnswered(afterNanoseconds: MonotonicClock.now() &- sentAt)
            engine.batchCompleted(batch, results: reply.elements ?? [], shard: self)
            flush()
        case .failure(.connectionLost), .failure(.closed), .failure(.notReady):
            // Kept as `inFlight`: sent again by `resume` once the connection is back.
            inFlightLost = true
        case .failure(let error):
            // A server-side refusal (out of memory, a script error): retry
            // the same batch shortly, so nothing is dropped or reordered.
            Log.error(
                "redis refused a batch; retrying",
                ["shard": url.description, "error": error, "operations": batch.operations.count])
            retryTimer = engine.loop.schedule(afterMilliseconds: 250) { [unowned self] in
                retryTimer = nil
                if let batch = inFlight, isReady, !inFlightLost { send(batch) }
            }
        }
    }

    // MARK: RedisConnectionDelegate

    func redisConnection(_ connection: RedisConnection, didChangeState state: RedisConnectionState) {
        switch state {
        case .ready:
            isReady = true
            if let since = downSince {
                Log.info(
                    "redis shard back", ["shard": url.description, "down_ms": (MonotonicClock.now() - since) / 1_000_000])
            } else {
                Log.info("redis shard connected", ["shard": url.description])
            }
            downSince = nil
            awaitingResume = true
            resumeIfSettled()
        case .down(let error, _):
            if isReady || downSince == nil {
                Log.warn(
                    "redis shard unreachable; holding lines and retrying",
                    [
                        "shard": url.description, "error": error,
                        "waiting_operations": building.operations.count + (inFlight?.operations.count ?? 0),
                    ])
            }
            isReady = false
            if inFlight != nil { inFlightLost = true }
            if downSince == nil { downSince = MonotonicClock.now() }
        case .idle, .connecting, .closed:
            isReady = false
        }
    }

    /// Both connections are back: the state checks go first (so a Redis
    /// that lost data is noticed before any offset is handed out again),
    /// then the batch that was lost, then what collected meanwhile.
    private func resumeIfSettled() {
        guard awaitingResume, isReady, subscriberSettled else { return }
        awaitingResume = false
        var merged = engine.shardReady(self)
        if let lost = inFlight, inFlightLost {
            merged.append(lost)
            inFlight = nil
        }
        merged.append(building)
        building = merged
        flush()
    }

    // MARK: RedisSubscriberDelegate

    func subscriber(_ subscriber: RedisSubscriber, didReceive payload: [UInt8], on channel: [UInt8]) {
        engine.channelMessage(payload, channel: channel)
    }

    func subscriber(_ subscriber: RedisSubscriber, didResubscribe channels: [[UInt8]]) {
        subscriberSettled = true
        engine.resubscribed(self, channels: channels)
        resumeIfSettled()
        flush()
    }

    func subscriber(_ subscriber: RedisSubscriber, didChangeState state: RedisConnectionState) {
        switch state {
        case .ready:
            // The first connection has nothing to resubscribe; a reconnect
            // settles on `didResubscribe`.
            if !subscriberConnectedBefore {
                subscriberConnectedBefore = true
                subscriberSettled = true
                resumeIfSettled()
                flush()
            }
        default:
            subscriberSettled = false
        }
    }

    func subscriber(_ subscriber: RedisSubscriber, didConfirm channel: [UInt8]) {
        engine.channelConfirmed(channel)
    }
}
