import RouterProtocol
import Testing

@testable import RouterCore

/// What the engine told the router, copied out of the call (the engine's
/// byte buffers are only valid during it).
private enum EngineEvent: Equatable, CustomStringConvertible {
    case joined(gateway: GatewayID, conn: ConnectionID, name: String, room: String, grant: JoinGrant, members: [String])
    case refused(gateway: GatewayID, conn: ConnectionID, reason: String)
    case ordered(room: String, offset: UInt64, time: UInt64, name: [UInt8], text: [UInt8])
    case presence(room: String, kind: PresenceKind, time: UInt64, name: String)
    case history(conn: ConnectionID, next: UInt64, done: Bool, lines: [RoomLine])
    case completed(CompletionToken)
    case backpressureChanged

    var description: String {
        switch self {
        case .joined(let gateway, let conn, let name, let room, let grant, let members):
            return "joined(\(gateway)/\(conn) \(name)@\(room) \(grant) \(members))"
        case .refused(let gateway, let conn, let reason): return "refused(\(gateway)/\(conn) \(reason))"
        case .ordered(let room, let offset, let time, let name, let text):
            return "ordered(\(room) #\(offset)@\(time) \(String(decoding: name, as: UTF8.self)):\(text.count) bytes)"
        case .presence(let room, let kind, let time, let name): return "presence(\(room) \(kind) \(name)@\(time))"
        case .history(let conn, let next, let done, let lines):
            return "history(\(conn) next=\(next) done=\(done) \(lines.map(\.offset)))"
        case .completed(let token): return "completed(\(token))"
        case .backpressureChanged: return "backpressureChanged"
        }
    }
}

/// A `RoomEngineEvents` that records every call in order.
private final class EventRecorder: RoomEngineEvents {
    var events: [EngineEvent] = []

    /// Returns the events recorded since the last call and forgets them.
    func take() -> [EngineEvent] {
        defer { events = [] }
        return events
    }

    func joined(_ member: Member, grant: JoinGrant, members: [String]) {
        events.append(
            .joined(
                gateway: member.gateway, conn: member.conn, name: member.name, room: member.room.name, grant: grant,
                members: members))
    }

    func backingAnswered(afterNanoseconds nanoseconds: UInt64) {}

    func refused(gateway: GatewayID, conn: ConnectionID, reason: String) {
        events.append(.refused(gateway: gateway, conn: conn, reason: reason))
    }

    func ordered(room: Room, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer) {
        events.append(.ordered(room: room.name, offset: offset, time: time, name: Array(name), text: Array(text)))
    }

    func presence(room: Room, kind: PresenceKind, time: UInt64, name: String) {
        events.append(.presence(room: room.name, kind: kind, time: time, name: name))
    }

    func epochChanged(room: Room, grant: JoinGrant, members: [String]) {
        Issue.record("the memory engine never loses its log while it runs")
    }

    /// Wraps the batch in a HISTORY frame and decodes it with the real decoder,
    /// so the lines are checked as a gateway would receive them.
    func history(for member: Member, batch: HistoryBatch) {
        var frame: [UInt8] = []
        let start = RouterFrame.beginHistory(conn: member.conn, into: &frame)
        frame.append(contentsOf: batch.bytes)
        RouterFrame.finishHistory(start: start, next: batch.next, done: batch.done, into: &frame)
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: frame)
        do {
            guard case .history(let conn, let next, let done, let lines) = try decoder.next() else {
                Issue.record("the batch did not decode as one HISTORY frame")
                return
            }
            #expect(lines.count == batch.count)
            events.append(.history(conn: conn, next: next, done: done, lines: lines))
        } catch {
            Issue.record("the batch did not decode: \(error)")
        }
    }

    func completed(_ token: CompletionToken) {
        events.append(.completed(token))
    }

    func backpressureChanged() {
        events.append(.backpressureChanged)
    }
}

/// The wall clock the engine sees; tests move it by hand.
private final class ManualClock {
    var now: UInt64 = 1_764_628_800_000
}

/// A memory engine over a fresh directory, with a recorder and a manual clock.
private final class EngineHarness {
    let directory = RoomDirectory()
    let clock = ManualClock()
    let recorder = EventRecorder()
    let engine: MemoryEngine
    /// Connection ids handed out so far, so every join gets a fresh one.
    private var lastConn: ConnectionID = 0

    init(limits: HistoryLimits = HistoryLimits()) {
        let clock = self.clock
        engine = MemoryEngine(directory: directory, limits: limits, clock: { clock.now })
        engine.attach(recorder)
    }

    /// Joins and returns the member (nil if refused); the events stay recorded.
    @discardableResult
    func join(
        _ name: String, room: String = "dev", gateway: GatewayID = 1, conn: ConnectionID? = nil,
        options: JoinOptions = .plain
    ) -> Member? {
        let id: ConnectionID
        if let conn {
            id = conn
        } else {
            lastConn += 1
            id = 1000 + lastConn
        }
        engine.join(JoinIntent(gateway: gateway, conn: id, name: name, room: room, options: options))
        return directory.member(gateway: gateway, conn: id)
    }

    /// Joins and returns the member with the grant it got; the events are taken.
    func joinForGrant(
        _ name: String, room: String = "dev", gateway: GatewayID = 1, conn: ConnectionID? = nil,
        options: JoinOptions = .plain, sourceLocation: SourceLocation = #_sourceLocation
    ) -> (member: Member, grant: JoinGrant)? {
        let member = join(name, room: room, gateway: gateway, conn: conn, options: options)
        let events = recorder.take()
        for case .joined(_, _, let joinedName, _, let grant, _) in events where joinedName == name {
            if let member { return (member, grant) }
        }
        Issue.record("\(name) was not joined: \(events)", sourceLocation: sourceLocation)
        return nil
    }

    /// The grant a join gets, for tests that only look at it.
    func grant(
        _ name: String, room: String = "dev", options: JoinOptions = .plain, sourceLocation: SourceLocation = #_sourceLocation
    ) -> JoinGrant? {
        joinForGrant(name, room: room, options: options, sourceLocation: sourceLocation)?.grant
    }

    /// Says `text` as `member`; returns the offset it was ordered at.
    @discardableResult
    func say(_ member: Member, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> UInt64? {
        say(member, bytes: Array(text.utf8), sourceLocation: sourceLocation)
    }

    @discardableResult
    func say(_ member: Member, bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> UInt64? {
        let token = CompletionToken(gateway: member.gateway, frame: 1)
        let complete = bytes.withUnsafeBytes { engine.say(member, text: $0, sequence: 0, token: token) }
        #expect(complete, "the memory engine completes every line at once", sourceLocation: sourceLocation)
        for case .ordered(_, let offset, _, _, _) in recorder.take() { return offset }
        Issue.record("the line was not ordered", sourceLocation: sourceLocation)
        return nil
    }

    /// Fetches and returns the answer.
    func fetch(
        _ member: Member, after: UInt64, through: UInt64, maxBytes: Int = 1 << 20,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> (next: UInt64, done: Bool, lines: [RoomLine])? {
        engine.fetch(member, after: after, through: through, maxBytes: maxBytes)
        let events = recorder.take()
        guard events.count == 1, case .history(let conn, let next, let done, let lines) = events[0] else {
            Issue.record("expected one history answer, got \(events)", sourceLocation: sourceLocation)
            return nil
        }
        #expect(conn == member.conn, sourceLocation: sourceLocation)
        return (next, done, lines)
    }

    /// The offsets a fetch of everything from `from` through `through` returns.
    func fetchedOffsets(_ member: Member, from: UInt64, through: UInt64) -> [UInt64]? {
        guard from > 0, let answer = fetch(member, after: from - 1, through: through) else { return nil }
        return answer.lines.map(\.offset)
    }

    /// The engine's total equals the sum of its logs, as the memory bound needs.
    func checkAccounting(sourceLocation: SourceLocation = #_sourceLocation) {
        let sum = engine.logs.values.reduce(0) { $0 + $1.bytes }
        #expect(engine.totalBytes == sum, sourceLocation: sourceLocation)
    }
}

private func limits(lines: Int = 1000, ttl: UInt64 = 24 * 3600 * 1000, memory: Int = 256 << 20) -> HistoryLimits {
    var limits = HistoryLimits()
    limits.linesPerRoom = lines
    limits.ttlMilliseconds = ttl
    limits.memoryBytes = memory
    return limits
}

private func resume(_ since: UInt64, _ epoch: String, history: UInt32? = nil, rejoin: Bool = false) -> JoinOptions {
    JoinOptions(history: history, resume: JoinOptions.Resume(since: since, epoch: epoch), isRejoin: rejoin)
}

private func history(_ count: UInt32) -> JoinOptions {
    JoinOptions(history: count)
}

@Suite("MemoryEngine")
struct MemoryEngineTests {
    // MARK: Ordering

    @Test func linesAreOrderedAtOffsetsOneTwoThreeWithTheClockTime() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        _ = harness.recorder.take()
        var expected: [EngineEvent] = []
        for (index, text) in ["one", "two", "thrée 😀"].enumerated() {
            harness.clock.now += 250
            let token = CompletionToken(gateway: 1, frame: UInt64(index + 1))
            let complete = Array(text.utf8).withUnsafeBytes { harness.engine.say(mina, text: $0, sequence: 0, token: token) }
            #expect(complete)
            expected.append(
                .ordered(
                    room: "dev", offset: UInt64(index + 1), time: harness.clock.now, name: Array("Mina".utf8),
                    text: Array(text.utf8)))
        }
        #expect(harness.recorder.take() == expected)
        #expect(harness.engine.log(of: "dev")?.lastOffset == 3)
        #expect(harness.engine.lineCount == 3)
        #expect(!harness.engine.isBackedUp)
    }

    @Test func everyByteValueOfALineIsOrderedAndFetchedExactly() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        let text = (0...255).map { UInt8($0) }
        #expect(harness.say(mina, bytes: text) == 1)
        let answer = try #require(harness.fetch(mina, after: 0, through: 1))
        #expect(answer.lines == [RoomLine(offset: 1, time: harness.clock.now, name: "Mina", text: text)])
    }

    @Test func eachRoomCountsItsOwnOffsets() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina", room: "dev"))
        let bo = try #require(harness.join("Bo", room: "ops"))
        #expect(harness.say(mina, "a") == 1)
        #expect(harness.say(bo, "b") == 1)
        #expect(harness.say(mina, "c") == 2)
        #expect(harness.say(bo, "d") == 2)
        #expect(harness.say(bo, "e") == 3)
        #expect(harness.engine.logCount == 2)
        #expect(harness.engine.log(of: "dev")?.epoch != harness.engine.log(of: "ops")?.epoch)
    }

    @Test func membersOfOneRoomShareItsOffsets() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina", gateway: 1))
        let bo = try #require(harness.join("Bo", gateway: 2))
        #expect(harness.say(mina, "a") == 1)
        #expect(harness.say(bo, "b") == 2)
        #expect(harness.say(mina, "c") == 3)
    }

    // MARK: Grants

    @Test func plainJoinGetsTheLastOffsetAndNoHistory() throws {
        let harness = EngineHarness()
        let first = try #require(harness.joinForGrant("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        #expect(first.grant == JoinGrant(lastOffset: 0, historyFrom: 0, recovered: false, epoch: epoch))
        for i in 1...5 { harness.say(first.member, "line \(i)") }
        #expect(harness.grant("Bo") == JoinGrant(lastOffset: 5, historyFrom: 0, recovered: false, epoch: epoch))
    }

    @Test func historyAsksForTheLastLinesHeld() throws {
        let harness = EngineHarness(limits: limits(lines: 1000))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...10 { harness.say(mina, "line \(i)") }
        #expect(
            harness.grant("A", options: history(3)) == JoinGrant(lastOffset: 10, historyFrom: 8, recovered: false, epoch: epoch))
        #expect(
            harness.grant("B", options: history(10)) == JoinGrant(lastOffset: 10, historyFrom: 1, recovered: false, epoch: epoch))
        // More than the log holds: what it holds.
        #expect(
            harness.grant("C", options: history(100)) == JoinGrant(lastOffset: 10, historyFrom: 1, recovered: false, epoch: epoch)
        )
        #expect(
            harness.grant("D", options: history(1)) == JoinGrant(lastOffset: 10, historyFrom: 10, recovered: false, epoch: epoch))
        #expect(
            harness.grant("E", options: history(0)) == JoinGrant(lastOffset: 10, historyFrom: 0, recovered: false, epoch: epoch))
        #expect(
            harness.grant("F", options: history(1_000_000))
                == JoinGrant(lastOffset: 10, historyFrom: 1, recovered: false, epoch: epoch))
    }

    @Test func historyIsCappedByTheHistorySize() throws {
        let harness = EngineHarness(limits: limits(lines: 4))
        let mina = try #require(harness.join("Mina"))
        for i in 1...20 { harness.say(mina, "line \(i)") }
        #expect(harness.grant("A", options: history(10))?.historyFrom == 17)
        #expect(harness.grant("B", options: history(4))?.historyFrom == 17)
        #expect(harness.grant("C", options: history(2))?.historyFrom == 19)
        #expect(harness.grant("D", options: history(10))?.lastOffset == 20)
    }

    @Test func historyOfAnEmptyLogIsNone() {
        let harness = EngineHarness()
        #expect(harness.grant("Mina", options: history(50))?.historyFrom == 0)
        #expect(harness.grant("Mina", room: "ops", options: history(50))?.lastOffset == 0)
    }

    @Test func historyLinesFetchedAreTheOnesTheGrantNamed() throws {
        let harness = EngineHarness(limits: limits(lines: 5))
        let mina = try #require(harness.join("Mina"))
        for i in 1...8 {
            harness.clock.now += 1
            harness.say(mina, "line \(i)")
        }
        let bo = try #require(harness.joinForGrant("Bo", options: history(3)))
        #expect(bo.grant.historyFrom == 6)
        let answer = try #require(harness.fetch(bo.member, after: bo.grant.historyFrom - 1, through: bo.grant.lastOffset))
        #expect(answer.done)
        #expect(answer.next == 8)
        #expect(answer.lines.map(\.offset) == [6, 7, 8])
        #expect(answer.lines.map { String(decoding: $0.text, as: UTF8.self) } == ["line 6", "line 7", "line 8"])
        #expect(answer.lines.map(\.name) == ["Mina", "Mina", "Mina"])
        let start = harness.clock.now - 8
        #expect(answer.lines.map(\.time) == [start + 6, start + 7, start + 8])
    }

    // MARK: Resume

    @Test func resumeWithEveryMissedLineHeldIsRecovered() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...10 { harness.say(mina, "line \(i)") }
        #expect(
            harness.grant("A", options: resume(6, epoch))
                == JoinGrant(lastOffset: 10, historyFrom: 7, recovered: true, epoch: epoch))
        #expect(
            harness.grant("B", options: resume(0, epoch))
                == JoinGrant(lastOffset: 10, historyFrom: 1, recovered: true, epoch: epoch))
        #expect(
            harness.grant("C", options: resume(9, epoch))
                == JoinGrant(lastOffset: 10, historyFrom: 10, recovered: true, epoch: epoch))
    }

    @Test func resumeAtTheLastOffsetIsRecoveredWithNothingToFetch() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...10 { harness.say(mina, "line \(i)") }
        #expect(
            harness.grant("A", options: resume(10, epoch))
                == JoinGrant(lastOffset: 10, historyFrom: 0, recovered: true, epoch: epoch))
        // A history count does not add lines to a resume that missed nothing.
        #expect(
            harness.grant("B", options: resume(10, epoch, history: 5))
                == JoinGrant(lastOffset: 10, historyFrom: 0, recovered: true, epoch: epoch))
    }

    @Test func resumeOfAFreshRoomAtZeroIsRecovered() throws {
        let harness = EngineHarness()
        harness.join("Mina")
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        #expect(
            harness.grant("Bo", options: resume(0, epoch))
                == JoinGrant(lastOffset: 0, historyFrom: 0, recovered: true, epoch: epoch))
    }

    @Test func resumeUnderAnotherEpochGetsTheRecentLinesUnrecovered() throws {
        let harness = EngineHarness(limits: limits(lines: 6))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...10 { harness.say(mina, "line \(i)") }
        let other = epoch == "0000000000000000" ? "ffffffffffffffff" : "0000000000000000"
        // What the log holds, at most the history size.
        #expect(
            harness.grant("A", options: resume(3, other))
                == JoinGrant(lastOffset: 10, historyFrom: 5, recovered: false, epoch: epoch))
        // Capped further by "history" when given.
        #expect(
            harness.grant("B", options: resume(3, other, history: 2))
                == JoinGrant(lastOffset: 10, historyFrom: 9, recovered: false, epoch: epoch))
        #expect(
            harness.grant("C", options: resume(3, other, history: 0))
                == JoinGrant(lastOffset: 10, historyFrom: 0, recovered: false, epoch: epoch))
        #expect(
            harness.grant("D", options: resume(10, other, history: 50))
                == JoinGrant(lastOffset: 10, historyFrom: 5, recovered: false, epoch: epoch))
    }

    @Test func resumeOlderThanTheLogHoldsIsNotRecovered() throws {
        let harness = EngineHarness(limits: limits(lines: 5))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...20 { harness.say(mina, "line \(i)") }
        // Held: 16...20. After 14 the client would need 15, which is gone.
        #expect(
            harness.grant("A", options: resume(10, epoch))
                == JoinGrant(lastOffset: 20, historyFrom: 16, recovered: false, epoch: epoch))
        #expect(
            harness.grant("B", options: resume(14, epoch))
                == JoinGrant(lastOffset: 20, historyFrom: 16, recovered: false, epoch: epoch))
        #expect(
            harness.grant("C", options: resume(14, epoch, history: 1))
                == JoinGrant(lastOffset: 20, historyFrom: 20, recovered: false, epoch: epoch))
        // After 15 every missed line (16...20) is held.
        #expect(
            harness.grant("D", options: resume(15, epoch))
                == JoinGrant(lastOffset: 20, historyFrom: 16, recovered: true, epoch: epoch))
    }

    @Test func resumeAfterAnOffsetNotYetGivenIsNotRecovered() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...3 { harness.say(mina, "line \(i)") }
        let grant = try #require(harness.grant("A", options: resume(7, epoch)))
        #expect(!grant.recovered)
        #expect(grant.lastOffset == 3)
    }

    @Test func rejoinThatCannotRecoverGetsNoHistory() throws {
        let harness = EngineHarness(limits: limits(lines: 5))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...20 { harness.say(mina, "line \(i)") }
        let other = epoch == "0000000000000000" ? "ffffffffffffffff" : "0000000000000000"
        #expect(
            harness.grant("A", options: resume(3, other, rejoin: true))
                == JoinGrant(lastOffset: 20, historyFrom: 0, recovered: false, epoch: epoch))
        #expect(
            harness.grant("B", options: resume(3, epoch, rejoin: true))
                == JoinGrant(lastOffset: 20, historyFrom: 0, recovered: false, epoch: epoch))
        // A rejoin that can recover gets what it missed.
        #expect(
            harness.grant("C", options: resume(17, epoch, rejoin: true))
                == JoinGrant(lastOffset: 20, historyFrom: 18, recovered: true, epoch: epoch))
        #expect(
            harness.grant("D", options: resume(20, epoch, rejoin: true))
                == JoinGrant(lastOffset: 20, historyFrom: 0, recovered: true, epoch: epoch))
    }

    // MARK: Epochs and the life of a log

    @Test func epochsAreSixteenLowercaseHexDigitsAndDoNotRepeat() {
        var seen: Set<String> = []
        for _ in 0..<1000 {
            let epoch = Epoch.make()
            #expect(epoch.utf8.count == 16)
            #expect(epoch.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "\(epoch)")
            seen.insert(epoch)
        }
        #expect(seen.count == 1000)
    }

    @Test func eachNewLogGetsItsOwnEpoch() {
        let harness = EngineHarness()
        var epochs: Set<String> = []
        for i in 0..<50 {
            let grant = harness.grant("Mina", room: "room\(i)")
            #expect(grant?.epoch.utf8.count == 16)
            if let epoch = grant?.epoch { epochs.insert(epoch) }
        }
        #expect(epochs.count == 50)
        #expect(harness.engine.logCount == 50)
    }

    @Test func emptiedRoomKeepsItsLogForTheNextMember() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        for i in 1...3 { harness.say(mina, "line \(i)") }
        harness.engine.leave(mina)
        #expect(harness.directory.roomCount == 0)
        #expect(harness.engine.logCount == 1)
        harness.clock.now += 60_000
        harness.engine.tick()
        #expect(harness.engine.logCount == 1)
        let bo = try #require(harness.joinForGrant("Bo", options: history(10)))
        #expect(bo.grant == JoinGrant(lastOffset: 3, historyFrom: 1, recovered: false, epoch: epoch))
        #expect(harness.say(bo.member, "four") == 4)
        #expect(
            harness.grant("Mina", options: resume(3, epoch))
                == JoinGrant(lastOffset: 4, historyFrom: 4, recovered: true, epoch: epoch))
    }

    @Test func emptiedRoomsLogIsDroppedOnceItsLinesExpire() throws {
        let ttl: UInt64 = 60_000
        let harness = EngineHarness(limits: limits(ttl: ttl))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        harness.say(mina, "one")
        let lastLine = harness.clock.now
        harness.engine.leave(mina)
        harness.clock.now = lastLine + ttl - 1
        harness.engine.tick()
        #expect(harness.engine.logCount == 1)
        #expect(harness.engine.lineCount == 1)
        harness.clock.now = lastLine + ttl
        harness.engine.tick()
        #expect(harness.engine.logCount == 0)
        #expect(harness.engine.log(of: "dev") == nil)
        #expect(harness.engine.totalBytes == 0)
        let grant = try #require(harness.grant("Bo", options: resume(1, epoch)))
        #expect(grant.epoch != epoch)
        #expect(grant.lastOffset == 0)
        #expect(!grant.recovered)
        #expect(harness.engine.logCount == 1)
    }

    @Test func emptiedRoomWithoutLinesIsDroppedOneTTLAfterItsLastActivity() throws {
        let ttl: UInt64 = 10_000
        let harness = EngineHarness(limits: limits(ttl: ttl))
        let created = harness.clock.now
        let mina = try #require(harness.join("Mina"))
        harness.engine.leave(mina)
        harness.clock.now = created + ttl - 1
        harness.engine.tick()
        #expect(harness.engine.logCount == 1)
        harness.clock.now = created + ttl
        harness.engine.tick()
        #expect(harness.engine.logCount == 0)
    }

    @Test func logOfARoomWithMembersIsKeptWhenItsLinesExpire() throws {
        let ttl: UInt64 = 10_000
        let harness = EngineHarness(limits: limits(ttl: ttl))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        harness.say(mina, "one")
        harness.say(mina, "two")
        harness.clock.now += 10 * ttl
        harness.engine.tick()
        #expect(harness.engine.logCount == 1)
        #expect(harness.engine.lineCount == 0)
        #expect(harness.engine.totalBytes == 0)
        #expect(harness.engine.log(of: "dev")?.epoch == epoch)
        #expect(harness.say(mina, "three") == 3)
        // Offsets 1 and 2 are gone: a resume after 0 is not recovered, one after 2 is.
        #expect(harness.grant("A", options: resume(0, epoch))?.recovered == false)
        #expect(
            harness.grant("B", options: resume(2, epoch))
                == JoinGrant(lastOffset: 3, historyFrom: 3, recovered: true, epoch: epoch))
    }

    // MARK: Expiry

    @Test func linesOlderThanTheTTLAreNotFetched() throws {
        let ttl: UInt64 = 10_000
        let harness = EngineHarness(limits: limits(ttl: ttl))
        let start = harness.clock.now
        let mina = try #require(harness.join("Mina"))
        for (offset, at) in [(1, 0), (2, 5000), (3, 9000)] as [(UInt64, UInt64)] {
            harness.clock.now = start + at
            #expect(harness.say(mina, "line \(offset)") == offset)
        }
        harness.clock.now = start + 12_000
        let answer = try #require(harness.fetch(mina, after: 0, through: 3))
        #expect(answer.lines.map(\.offset) == [2, 3])
        #expect(answer.done)
        // Line 2 is exactly one TTL old at 15000: gone.
        harness.clock.now = start + 15_000
        #expect(harness.fetchedOffsets(mina, from: 1, through: 3) == [3])
        harness.checkAccounting()
    }

    @Test func historyGrantLeavesOutExpiredLines() throws {
        let ttl: UInt64 = 10_000
        let harness = EngineHarness(limits: limits(ttl: ttl))
        let start = harness.clock.now
        let mina = try #require(harness.join("Mina"))
        for at in [0, 4000, 8000] as [UInt64] {
            harness.clock.now = start + at
            harness.say(mina, "line")
        }
        harness.clock.now = start + 11_000
        #expect(harness.grant("Bo", options: history(10))?.historyFrom == 2)
        #expect(harness.engine.lineCount == 2)
        harness.checkAccounting()
    }

    @Test func sayingDropsLinesThatExpiredMeanwhile() throws {
        let ttl: UInt64 = 10_000
        let harness = EngineHarness(limits: limits(ttl: ttl))
        let start = harness.clock.now
        let mina = try #require(harness.join("Mina"))
        harness.say(mina, "old")
        harness.clock.now = start + 1000
        harness.say(mina, "newer")
        harness.clock.now = start + ttl + 500
        harness.say(mina, "newest")
        #expect(harness.engine.log(of: "dev")?.firstOffset == 2)
        #expect(harness.engine.lineCount == 2)
        harness.checkAccounting()
    }

    @Test func aTTLTooLongToAddToTheClockKeepsLines() throws {
        // `-history-ttl` takes any duration that fits in 64 bits of
        // milliseconds; a very long one means "keep", not "drop at once".
        let harness = EngineHarness(limits: limits(ttl: UInt64.max))
        let mina = try #require(harness.join("Mina"))
        harness.say(mina, "one")
        harness.say(mina, "two")
        harness.clock.now += 1000
        harness.engine.tick()
        #expect(harness.engine.lineCount == 2)
        #expect(harness.fetchedOffsets(mina, from: 1, through: 2) == [1, 2])
    }

    // MARK: History off

    @Test func historySizeZeroGivesOffsetsButNoHistory() throws {
        let harness = EngineHarness(limits: limits(lines: 0))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        #expect(harness.say(mina, "a") == 1)
        #expect(harness.say(mina, "b") == 2)
        #expect(harness.say(mina, "c") == 3)
        #expect(harness.engine.lineCount == 0)
        #expect(harness.engine.totalBytes == 0)
        #expect(
            harness.grant("A", options: history(10)) == JoinGrant(lastOffset: 3, historyFrom: 0, recovered: false, epoch: epoch))
        #expect(
            harness.grant("B", options: resume(3, epoch))
                == JoinGrant(lastOffset: 3, historyFrom: 0, recovered: true, epoch: epoch))
        #expect(
            harness.grant("C", options: resume(2, epoch))
                == JoinGrant(lastOffset: 3, historyFrom: 0, recovered: false, epoch: epoch))
        let answer = try #require(harness.fetch(mina, after: 0, through: 3))
        #expect(answer.lines.isEmpty)
        #expect(answer.done)
        #expect(answer.next == 3)
    }

    @Test func historySizeZeroStillKeepsAnEmptiedRoomsOffsetsUntilTheTTL() throws {
        let ttl: UInt64 = 5000
        let harness = EngineHarness(limits: limits(lines: 0, ttl: ttl))
        let mina = try #require(harness.join("Mina"))
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        harness.say(mina, "a")
        harness.engine.leave(mina)
        harness.clock.now += ttl - 1
        harness.engine.tick()
        #expect(harness.grant("Bo") == JoinGrant(lastOffset: 1, historyFrom: 0, recovered: false, epoch: epoch))
    }

    @Test func historySizeAboveFourBillionDoesNotCrashAPlainJoin() async {
        // `-history-size` is read as an Int and only checked for being
        // non-negative, so a huge value reaches the engine.
        await #expect(processExitsWith: .success) {
            var limits = HistoryLimits()
            limits.linesPerRoom = 5_000_000_000
            let harness = EngineHarness(limits: limits)
            _ = harness.grant("Mina")
        }
    }

    // MARK: The memory bound

    @Test func memoryBoundEvictsTheLeastRecentlyActiveRoomFirstAndIsNeverExceeded() throws {
        let bound = 64 * 1024
        let harness = EngineHarness(limits: limits(memory: bound))
        let a = try #require(harness.join("A", room: "a"))
        let b = try #require(harness.join("B", room: "b"))
        let c = try #require(harness.join("C", room: "c"))
        let text = String(repeating: "x", count: 1000)
        for _ in 0..<30 { harness.say(a, text) }
        for _ in 0..<10 { harness.say(b, text) }
        let logA = try #require(harness.engine.log(of: "a"))
        let logB = try #require(harness.engine.log(of: "b"))
        let logC = try #require(harness.engine.log(of: "c"))
        #expect(harness.engine.totalBytes <= bound)
        #expect(logA.count == 30)
        var sawAEvicting = false
        var sawBEvicting = false
        for _ in 0..<200 {
            harness.say(c, text)
            #expect(harness.engine.totalBytes <= bound, "\(harness.engine.totalBytes) > \(bound)")
            harness.checkAccounting()
            if logA.count < 30 { sawAEvicting = true }
            if logB.count < 10 {
                sawBEvicting = true
                // b loses lines only once a has none left.
                #expect(logA.count == 0)
            }
            // c, the most recently active, keeps every line while another room has any.
            if logA.count > 0 || logB.count > 0 { #expect(logC.count == Int(logC.lastOffset)) }
            // Eviction takes the oldest lines: what is left is the newest, contiguous.
            #expect(logA.firstOffset == logA.lastOffset - UInt64(logA.count) + 1)
        }
        #expect(sawAEvicting)
        #expect(sawBEvicting)
        #expect(logA.lastOffset == 30)
        #expect(logB.lastOffset == 10)
    }

    @Test func aRoomThatSpeaksAgainIsNoLongerTheFirstToLoseLines() throws {
        let bound = 48 * 1024
        let harness = EngineHarness(limits: limits(memory: bound))
        let a = try #require(harness.join("A", room: "a"))
        let b = try #require(harness.join("B", room: "b"))
        let c = try #require(harness.join("C", room: "c"))
        let text = String(repeating: "y", count: 1000)
        for _ in 0..<12 { harness.say(a, text) }
        for _ in 0..<12 { harness.say(b, text) }
        // a speaks last: b becomes the least recently active.
        harness.say(a, text)
        let logA = try #require(harness.engine.log(of: "a"))
        let logB = try #require(harness.engine.log(of: "b"))
        for _ in 0..<40 {
            harness.say(c, text)
            #expect(harness.engine.totalBytes <= bound)
            if logA.count < 13 { #expect(logB.count == 0) }
        }
        #expect(logB.count < 12)
    }

    @Test func aLineLargerThanTheWholeBoundIsOrderedButNotKept() throws {
        let harness = EngineHarness(limits: limits(memory: 8 * 1024))
        let mina = try #require(harness.join("Mina"))
        #expect(harness.say(mina, bytes: [UInt8](repeating: 0x7A, count: 20_000)) == 1)
        #expect(harness.engine.totalBytes <= 8 * 1024)
        #expect(harness.say(mina, "small") == 2)
        #expect(harness.engine.totalBytes <= 8 * 1024)
        #expect(harness.fetchedOffsets(mina, from: 1, through: 2) == [2])
        harness.checkAccounting()
    }

    @Test func accountingFollowsAppendsExpiryAndDrops() throws {
        let ttl: UInt64 = 1000
        let harness = EngineHarness(limits: limits(lines: 50, ttl: ttl))
        var members: [Member] = []
        for i in 0..<5 { members.append(try #require(harness.join("M\(i)", room: "room\(i)"))) }
        for round in 0..<200 {
            harness.clock.now += 7
            harness.say(members[round % 5], String(repeating: "z", count: round * 13 % 700))
            harness.checkAccounting()
        }
        #expect(harness.engine.totalBytes > 0)
        for member in members { harness.engine.leave(member) }
        harness.clock.now += ttl
        harness.engine.tick()
        #expect(harness.engine.logCount == 0)
        #expect(harness.engine.totalBytes == 0)
    }

    // MARK: Presence

    @Test func joinEventComesBeforeTheJoined() throws {
        let harness = EngineHarness()
        let time = harness.clock.now
        harness.join("Mina", gateway: 1, conn: 10)
        let epoch = try #require(harness.engine.log(of: "dev")?.epoch)
        #expect(
            harness.recorder.take() == [
                .presence(room: "dev", kind: .join, time: time, name: "Mina"),
                .joined(
                    gateway: 1, conn: 10, name: "Mina", room: "dev",
                    grant: JoinGrant(lastOffset: 0, historyFrom: 0, recovered: false, epoch: epoch), members: []),
            ])
        harness.clock.now += 5
        harness.join("Bo", gateway: 2, conn: 20, options: JoinOptions(wantsMembers: true))
        #expect(
            harness.recorder.take() == [
                .presence(room: "dev", kind: .join, time: time + 5, name: "Bo"),
                .joined(
                    gateway: 2, conn: 20, name: "Bo", room: "dev",
                    grant: JoinGrant(lastOffset: 0, historyFrom: 0, recovered: false, epoch: epoch),
                    members: ["Bo", "Mina"]),
            ])
    }

    @Test func memberListIsSortedAndIncludesTheNewcomer() {
        let harness = EngineHarness()
        for name in ["zed", "Mina", "ämy", "Bo", "amy"] { harness.join(name) }
        _ = harness.recorder.take()
        harness.join("Ceri", options: JoinOptions(wantsMembers: true))
        let members = harness.recorder.take().compactMap { event -> [String]? in
            if case .joined(_, _, _, _, _, let members) = event { return members }
            return nil
        }
        #expect(members == [["Bo", "Ceri", "Mina", "amy", "zed", "ämy"]])
    }

    @Test func leaveIsAnnouncedToTheMembersLeft() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        let bo = try #require(harness.join("Bo"))
        _ = harness.recorder.take()
        harness.clock.now += 42
        harness.engine.leave(mina)
        #expect(harness.recorder.take() == [.presence(room: "dev", kind: .leave, time: harness.clock.now, name: "Mina")])
        // The last member leaving has nobody to tell.
        harness.engine.leave(bo)
        #expect(harness.recorder.take() == [])
        #expect(harness.directory.roomCount == 0)
    }

    @Test func removedGatewaysMembersAreAnnouncedAsLeaving() throws {
        let harness = EngineHarness()
        harness.join("A", room: "dev", gateway: 1, conn: 1)
        harness.join("B", room: "dev", gateway: 1, conn: 2)
        harness.join("C", room: "dev", gateway: 2, conn: 1)
        harness.join("D", room: "ops", gateway: 1, conn: 3)
        _ = harness.recorder.take()
        harness.clock.now += 9
        harness.engine.removeGateway(1)
        let events = harness.recorder.take()
        let time = harness.clock.now
        #expect(events.count == 2, "\(events)")
        #expect(events.contains(.presence(room: "dev", kind: .leave, time: time, name: "A")))
        #expect(events.contains(.presence(room: "dev", kind: .leave, time: time, name: "B")))
        #expect(harness.directory.memberCount == 1)
        #expect(harness.directory.rooms.keys.sorted() == ["dev"])
        // The rooms' logs stay.
        #expect(harness.engine.logCount == 2)
        harness.engine.removeGateway(1)
        #expect(harness.recorder.take() == [])
    }

    @Test func takenNameIsRefusedWithTextForTheClient() throws {
        let harness = EngineHarness()
        harness.join("Mina", gateway: 1, conn: 1)
        _ = harness.recorder.take()
        harness.join("Mina", gateway: 2, conn: 7)
        #expect(
            harness.recorder.take() == [
                .refused(gateway: 2, conn: 7, reason: #"name "Mina" is already taken in room "dev"; pick another name"#)
            ])
        harness.join("Other", gateway: 1, conn: 1)
        #expect(harness.recorder.take() == [.refused(gateway: 1, conn: 1, reason: "this connection has already joined a room")])
        #expect(harness.directory.memberCount == 1)
    }

    // MARK: Fetch

    @Test func fetchPagesWithinMaxBytes() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("A"))
        for i in 1...10 { harness.say(mina, String(repeating: "t", count: 99) + "\(i % 10)") }
        let lineSize = RouterFrame.historyLineSize(nameCount: 1, textCount: 100)
        #expect(lineSize == 125)
        var after: UInt64 = 0
        var pages: [[UInt64]] = []
        for _ in 0..<10 {
            let answer = try #require(harness.fetch(mina, after: after, through: 10, maxBytes: 300))
            pages.append(answer.lines.map(\.offset))
            #expect(answer.lines.count * lineSize <= 300)
            if answer.done {
                #expect(answer.next == 10)
                break
            }
            #expect(answer.next == answer.lines.last?.offset)
            after = answer.next
        }
        #expect(pages == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
    }

    @Test func fetchSendsAtLeastOneLineHoweverSmallMaxBytesIs() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        harness.say(mina, bytes: [UInt8](repeating: 0x41, count: 65_536))
        harness.say(mina, "two")
        harness.say(mina, "three")
        for maxBytes in [0, 1, 24] {
            let first = try #require(harness.fetch(mina, after: 0, through: 3, maxBytes: maxBytes))
            #expect(first.lines.map(\.offset) == [1])
            #expect(first.lines.first?.text.count == 65_536)
            #expect(!first.done)
            #expect(first.next == 1)
            let second = try #require(harness.fetch(mina, after: 1, through: 3, maxBytes: maxBytes))
            #expect(second.lines.map(\.offset) == [2])
            #expect(!second.done)
            let third = try #require(harness.fetch(mina, after: 2, through: 3, maxBytes: maxBytes))
            #expect(third.lines.map(\.offset) == [3])
            #expect(third.done)
            #expect(third.next == 3)
        }
    }

    @Test func fetchStopsAtThrough() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        for i in 1...10 { harness.say(mina, "line \(i)") }
        let answer = try #require(harness.fetch(mina, after: 2, through: 5))
        #expect(answer.lines.map(\.offset) == [3, 4, 5])
        #expect(answer.done)
        #expect(answer.next == 5)
    }

    @Test func fetchWithNothingLeftIsDone() throws {
        let harness = EngineHarness()
        let mina = try #require(harness.join("Mina"))
        for i in 1...3 { harness.say(mina, "line \(i)") }
        let atEnd = try #require(harness.fetch(mina, after: 3, through: 3))
        #expect(atEnd.lines.isEmpty)
        #expect(atEnd.done)
        #expect(atEnd.next == 3)
    }

    @Test func linesEvictedBetweenFetchesAreSkipped() throws {
        let harness = EngineHarness(limits: limits(lines: 5))
        let mina = try #require(harness.join("Mina"))
        for i in 1...5 { harness.say(mina, "line \(i)") }
        let bo = try #require(harness.joinForGrant("Bo", options: history(5)))
        #expect(bo.grant.historyFrom == 1)
        let first = try #require(harness.fetch(bo.member, after: 0, through: 5, maxBytes: 1))
        #expect(first.lines.map(\.offset) == [1])
        #expect(!first.done)
        // Three live lines push 1...3 out of the five-line log.
        for i in 6...8 { harness.say(mina, "line \(i)") }
        let rest = try #require(harness.fetch(bo.member, after: first.next, through: 5))
        #expect(rest.lines.map(\.offset) == [4, 5])
        #expect(rest.done)
        #expect(rest.next == 5)
    }

    @Test func fetchOfARangeEvictedEntirelyIsDoneAtThrough() throws {
        let harness = EngineHarness(limits: limits(lines: 2))
        let mina = try #require(harness.join("Mina"))
        for i in 1...10 { harness.say(mina, "line \(i)") }
        let answer = try #require(harness.fetch(mina, after: 0, through: 6))
        #expect(answer.lines.isEmpty)
        #expect(answer.done)
        #expect(answer.next == 6)
    }

    @Test func fetchHandsOutEveryHeldLineExactlyOnceOverManyPages() throws {
        var generator = CodecFixtures.SeededGenerator(seed: 99)
        let harness = EngineHarness(limits: limits(lines: 300))
        let mina = try #require(harness.join("Mina"))
        var texts: [UInt64: [UInt8]] = [:]
        for _ in 0..<400 {
            let text = (0..<Int.random(in: 0...900, using: &generator)).map { _ in
                UInt8.random(in: 0x20...0x7E, using: &generator)
            }
            let offset = try #require(harness.say(mina, bytes: text))
            texts[offset] = text
        }
        var after: UInt64 = 0
        var fetched: [RoomLine] = []
        for _ in 0..<1000 {
            let answer = try #require(harness.fetch(mina, after: after, through: 400, maxBytes: 2000))
            fetched += answer.lines
            if answer.done { break }
            after = answer.next
        }
        #expect(fetched.map(\.offset) == Array(101...400))
        #expect(fetched.allSatisfy { texts[$0.offset] == $0.text })
    }
}
