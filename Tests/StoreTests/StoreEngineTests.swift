import Testing

@testable import Store
import StoreProtocol

/// A wall clock the tests move by hand.
final class TestClock: @unchecked Sendable {
    var now: UInt64
    init(_ now: UInt64) { self.now = now }
}

@Suite("Store engine")
struct StoreEngineTests {
    static let retention = RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: 24 * 3_600_000)

    private func engine(
        _ directory: TemporaryDirectory, retention: RetentionSettings = retention, clock: TestClock = TestClock(10_000)
    )
        throws -> StoreEngine
    {
        let history = try HistoryDatabase.openForWriting(directory: directory.path)
        return try StoreEngine(history: history, retention: retention, clock: { clock.now })
    }

    @Test func committedLinesAreInTheDatabaseWithTheirFields() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        _ = store.beginSession(routerInstance: 7)
        var batches = Batches()
        let outcome = try store.commit([
            batches.batch(Batches.lines("dev", count: 3)), batches.batch(Batches.lines("ops", count: 1)),
        ])
        #expect(outcome == CommitOutcome(through: 2, batches: 2, linesStored: 4, linesSkipped: 0))
        let rows = try Rows.lines(store.database)
        #expect(rows.map(\.0) == ["dev", "dev", "dev", "ops"])
        #expect(rows.map(\.1) == [1, 2, 3, 1])
        #expect(rows[2].2 == 1002 && rows[2].3 == "Mina" && rows[2].4 == "line 3")
        #expect(try Rows.room(store.database, "dev")! == ("e1", 3))
    }

    @Test func offsetsAndEpochsSurviveAReopen() throws {
        let directory = TemporaryDirectory()
        do {
            let store = try engine(directory)
            var batches = Batches()
            _ = try store.commit([batches.batch(Batches.lines("dev", epoch: "9f2c4e1a7b3d5c60", count: 42))])
            _ = try store.commit([batches.batch([], marks: [("quiet", "0123456789abcdef", 0, 5)])])
        }
        let store = try engine(directory)
        #expect(store.roomCount == 2)
        let dev = try #require(store.rooms["dev"])
        // 42 short lines are one journal row, counted again at the reopen.
        #expect(dev.epoch == "9f2c4e1a7b3d5c60" && dev.lastOffset == 42 && dev.journalRows == 1 && store.journalRows == 1)
        #expect(try store.foldJournal() == 1)
        #expect(dev.firstOffset == 1 && dev.journalRows == 0 && store.journalRows == 0 && store.journalBytes == 0)
        #expect(store.rooms["quiet"]?.epoch == "0123456789abcdef")
        var batches = Batches()
        _ = store.beginSession(routerInstance: 99)
        _ = try store.commit([batches.batch(Batches.lines("dev", epoch: "9f2c4e1a7b3d5c60", from: 43, count: 1))])
        #expect(try Rows.room(store.database, "dev")! == ("9f2c4e1a7b3d5c60", 43))
    }

    @Test func resentBatchOfTheSameRouterIsSkippedWhole() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        #expect(store.beginSession(routerInstance: 5) == 0)
        var batches = Batches()
        let first = batches.batch(Batches.lines("dev", count: 10))
        _ = try store.commit([first])
        // The store restarted after committing but before COMMITTED reached the router.
        let reopened = try engine(directory)
        #expect(reopened.beginSession(routerInstance: 5) == 1)
        let second = batches.batch(Batches.lines("dev", from: 11, count: 5))
        let outcome = try reopened.commit([first, second])
        #expect(outcome.through == 2 && outcome.batches == 1 && outcome.linesStored == 5)
        #expect(try Rows.lines(reopened.database).map(\.1) == Array(1...15))
    }

    @Test func alreadyStoredLinesAreSkippedByOffsetWhateverTheBatch() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        _ = store.beginSession(routerInstance: 1)
        _ = try store.commit([Batches.batch(number: 1, Batches.lines("dev", count: 10))])
        // Another router instance resends an overlapping range.
        _ = store.beginSession(routerInstance: 2)
        let outcome = try store.commit([Batches.batch(number: 1, Batches.lines("dev", from: 6, count: 10))])
        #expect(outcome.linesSkipped == 5 && outcome.linesStored == 5)
        #expect(try Rows.lines(store.database).map(\.1) == Array(1...15))
        #expect(try Rows.lines(store.database)[7].4 == "line 8")
    }

    @Test func gatewaySequencesKeepTheHighestStored() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var lines = Batches.lines("dev", count: 4)
        for index in lines.indices { lines[index].gateway = GatewayMark(instance: .max - 1, sequence: UInt64(10 + index)) }
        lines[3].gateway = GatewayMark(instance: 3, sequence: 1)
        var batches = Batches()
        _ = try store.commit([batches.batch(lines)])
        var frames: [UInt8] = []
        #expect(try store.appendGateways(now: 10_000, into: &frames) == 2)
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: frames)
        guard case .gateways(let marks) = try decoder.next() else {
            Issue.record("no GATEWAYS frame")
            return
        }
        #expect(Set(marks) == [GatewayMark(instance: 3, sequence: 1), GatewayMark(instance: .max - 1, sequence: 12)])
    }

    @Test func newEpochStartsTheLogAnewAndRetentionDeletesTheOldLines() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", epoch: "old", count: 2500))])
        let oldID = store.rooms["dev"]!.id
        _ = try store.commit([batches.batch(Batches.lines("dev", epoch: "new", count: 2))])
        #expect(try Rows.room(store.database, "dev")! == ("new", 2))
        #expect(store.retired == [oldID])
        // 2500 lines are 10 chunks; 4 chunks per step.
        var steps = 0
        while try store.retentionStep(maxRows: 4) > 0 { steps += 1 }
        #expect(steps >= 3)
        #expect(store.retired.isEmpty)
        #expect(try Rows.lines(store.database).map(\.4) == ["line 1", "line 2"])
        #expect(try Rows.count(store.database, "SELECT count(*) FROM retired_rooms") == 0)
    }

    @Test func retentionDeletesChunksWhollyBeyondTheLastLinesPerRoomInSmallSteps() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory, retention: RetentionSettings(linesPerRoom: 100, ttlMilliseconds: forever))
        var batches = Batches()
        // dev: chunks of 256 lines, 1...256 up to 2305...2345.
        _ = try store.commit([batches.batch(Batches.lines("dev", count: 2345)), batches.batch(Batches.lines("ops", count: 50))])
        // dev's lines are many: chunks at once; ops' few go to the journal.
        #expect(try Rows.count(store.database, "SELECT count(*) FROM chunks") == 10)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM journal") == 1)
        #expect(try store.foldJournal() == 1)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM chunks") == 11)
        var deletions: [Int] = []
        while true {
            let rows = try store.retentionStep(maxRows: 3)
            if rows == 0 { break }
            deletions.append(rows)
        }
        #expect(deletions == [3, 3, 2])
        // 2246...2345 are the last 100; the chunk from 2049 holds 2246.
        let rows = try Rows.lines(store.database)
        #expect(rows.filter { $0.0 == "dev" }.map(\.1) == Array(2049...2345))
        #expect(rows.filter { $0.0 == "ops" }.count == 50)
        #expect(store.rooms["dev"]!.firstOffset == 2049)
        // A load still sends exactly the last 100.
        var bytes: [UInt8] = []
        #expect(try store.appendLoad(of: store.rooms["dev"]!, now: 10_000, into: &bytes) == 100)
    }

    @Test func smallCommitsShareTheRoomsNewestChunkAndCommitsSplitBigOnes() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        for offset in 1...30 { _ = try store.commit([batches.batch(Batches.lines("quiet", from: UInt64(offset), count: 1))]) }
        // Each short commit appends a journal row; folding makes them one chunk.
        #expect(try Rows.count(store.database, "SELECT count(*) FROM journal") == 30)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM chunks") == 0)
        #expect(try Rows.lines(store.database).map(\.1) == Array(1...30))
        #expect(try store.foldJournal(maxRows: 20) == 20)
        #expect(try store.foldJournal(maxRows: 20) == 10)
        #expect(try store.foldJournal(maxRows: 20) == 0)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM journal") == 0)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM chunks") == 1)
        #expect(try Rows.count(store.database, "SELECT line_count FROM chunks") == 30)
        // Past LineChunk.growBelowBytes the next commit starts a new chunk.
        let long = String(repeating: "y", count: 4000)
        _ = try store.commit([
            batches.batch([Batches.Line(room: "quiet", epoch: "e1", offset: 31, time: 5, name: "Bo", text: long)])
        ])
        _ = try store.commit([batches.batch(Batches.lines("quiet", from: 32, count: 1))])
        #expect(try store.foldJournal() == 1)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM chunks") == 2)
        _ = try store.commit([batches.batch(Batches.lines("busy", count: 600))])
        #expect(
            try Rows.count(store.database, "SELECT count(*) FROM chunks JOIN rooms ON rooms.id = room_id WHERE name = 'busy'")
                == 3)
        let rows = try Rows.lines(store.database)
        #expect(rows.filter { $0.0 == "quiet" }.map(\.1) == Array(1...32))
        #expect(rows.filter { $0.0 == "quiet" }[30].4 == long)
        #expect(rows.filter { $0.0 == "busy" }.map(\.1) == Array(1...600))
        // The same after a reopen: the newest chunk is found again and grows.
        let reopened = try engine(directory)
        _ = reopened.beginSession(routerInstance: 2)
        _ = try reopened.commit([Batches.batch(number: 1, Batches.lines("busy", from: 601, count: 1))])
        #expect(try reopened.foldJournal() == 1)
        #expect(
            try Rows.count(reopened.database, "SELECT count(*) FROM chunks JOIN rooms ON rooms.id = room_id WHERE name = 'busy'")
                == 3)
        #expect(try Rows.lines(reopened.database).filter { $0.0 == "busy" }.map(\.1) == Array(1...601))
    }

    @Test func malformedChunkIsReportedAsCorruptWhenLoaded() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", count: 3))])
        #expect(try store.foldJournal() == 1)
        try store.database.execute("UPDATE chunks SET lines = substr(lines, 1, 30)")
        var bytes: [UInt8] = []
        #expect {
            _ = try store.appendLoad(of: store.rooms["dev"]!, now: 10_000, into: &bytes)
        } throws: { error in
            guard let error = error as? SQLiteError else { return false }
            return error.isCorrupt && error.message.hasPrefix("chunk 1 of room id 1 is malformed")
        }
    }

    @Test func retentionDeletesExpiredLinesThenIdleEmptyRooms() throws {
        let directory = TemporaryDirectory()
        let clock = TestClock(1_000)
        let store = try engine(directory, retention: RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: 60_000), clock: clock)
        var batches = Batches()
        _ = try store.commit([
            batches.batch(Batches.lines("dev", count: 10, time: 1_000) + Batches.lines("ops", count: 3, time: 50_000))
        ])
        clock.now = 61_004  // lines of dev at times 1000...1004 are now expired
        while try store.retentionStep() > 0 {}
        // Their chunk stays while it holds younger lines; a load skips them.
        #expect(try Rows.lines(store.database).filter { $0.0 == "dev" }.map(\.1) == Array(1...10))
        var bytes: [UInt8] = []
        #expect(try store.appendLoad(of: store.rooms["dev"]!, now: clock.now, into: &bytes) == 5)
        clock.now = 61_010
        while try store.retentionStep() > 0 {}
        #expect(try Rows.lines(store.database).filter { $0.0 == "dev" }.isEmpty)
        clock.now = 200_000
        while try store.retentionStep() > 0 {}
        #expect(try Rows.lines(store.database).isEmpty)
        #expect(store.roomCount == 0)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM rooms") == 0)
    }

    @Test func historyOffKeepsOffsetsAndEpochsButNoLines() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory, retention: RetentionSettings(linesPerRoom: 0, ttlMilliseconds: forever))
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", count: 7))])
        #expect(try Rows.lines(store.database).isEmpty)
        #expect(try Rows.room(store.database, "dev")! == ("e1", 7))
    }

    @Test func fullDatabaseRollsBackAndTheSameBatchesCommitOnceThereIsRoom() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", count: 10))])
        let pages = try store.database.integer("PRAGMA page_count")!
        try store.database.execute("PRAGMA max_page_count = \(pages + 2)")
        let text = String(repeating: "x", count: 3000)
        let big = (0..<40).map {
            Batches.Line(room: "new\($0 % 4)", epoch: "e", offset: UInt64($0 / 4 + 1), time: 5, name: "Bo", text: text)
        }
        let pending = [batches.batch(big), batches.batch(Batches.lines("dev", from: 11, count: 5))]
        do {
            _ = try store.commit(pending)
            Issue.record("commit past max_page_count succeeded")
        } catch {
            #expect(error.isFull)
            #expect(error.message == "database or disk is full")
        }
        // Memory and disk are as before the attempt.
        #expect(!store.database.isInTransaction)
        #expect(store.roomCount == 1 && store.rooms["dev"]!.lastOffset == 10)
        #expect(store.journalRows == 1 && store.rooms["dev"]!.journalRows == 1)
        #expect(try Rows.lines(store.database).count == 10)
        #expect(store.committedThrough == 1)
        try store.database.execute("PRAGMA max_page_count = 1000000")
        let outcome = try store.commit(pending)
        #expect(outcome.through == 3 && outcome.linesStored == 45)
        let rows = try Rows.lines(store.database)
        #expect(rows.count == 55)
        #expect(Set(rows.map { "\($0.0)/\($0.1)" }).count == 55)
    }

    @Test func loadSendsEachRoomWithItsContiguousRecentLinesOldestFirst() throws {
        let directory = TemporaryDirectory()
        let clock = TestClock(100_000)
        let store = try engine(directory, retention: RetentionSettings(linesPerRoom: 5, ttlMilliseconds: 50_000), clock: clock)
        var batches = Batches()
        var lines = Batches.lines("dev", count: 8, time: 90_000)
        lines[6].time = 40_000  // expired, with younger lines around it
        _ = try store.commit([batches.batch(lines + Batches.lines("ops", count: 2, time: 99_000))])
        _ = try store.commit([batches.batch([], marks: [("empty", "e9", 3, 99_500)])])
        var bytes: [UInt8] = []
        var counts: [Int] = []
        for room in try store.beginLoad() { counts.append(try store.appendLoad(of: room, now: clock.now, into: &bytes)) }
        #expect(counts == [1, 2, 0])
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: bytes)
        let frames = try StoreCodecFixtures.drain(&decoder)
        let dev = store.rooms["dev"]!
        #expect(
            frames == [
                .room(LoadedRoom(id: UInt64(dev.id), name: "dev", epoch: "e1", lastOffset: 8, lastTime: 90_007, lineCount: 1)),
                .lines(
                    room: UInt64(dev.id), lines: [StoredLine(offset: 8, time: 90_007, name: "Mina", text: Array("line 8".utf8))]),
                .room(
                    LoadedRoom(
                        id: UInt64(store.rooms["ops"]!.id), name: "ops", epoch: "e1", lastOffset: 2, lastTime: 99_001,
                        lineCount: 2)),
                .lines(
                    room: UInt64(store.rooms["ops"]!.id),
                    lines: [
                        StoredLine(offset: 1, time: 99_000, name: "Mina", text: Array("line 1".utf8)),
                        StoredLine(offset: 2, time: 99_001, name: "Mina", text: Array("line 2".utf8)),
                    ]),
                .room(
                    LoadedRoom(
                        id: UInt64(store.rooms["empty"]!.id), name: "empty", epoch: "e9", lastOffset: 3, lastTime: 99_500,
                        lineCount: 0)),
            ])
    }

    @Test func loadSendsChunkLinesThenTheRoomsNewerJournalLines() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", count: 300))])
        for offset in 301...305 { _ = try store.commit([batches.batch(Batches.lines("dev", from: UInt64(offset), count: 1))]) }
        #expect(store.rooms["dev"]!.journalRows == 5)
        // A commit of many lines still goes to the journal while the room has rows there.
        _ = try store.commit([batches.batch(Batches.lines("dev", from: 306, count: 200))])
        #expect(store.rooms["dev"]!.journalRows == 6)
        func loaded() throws -> [UInt64] {
            var bytes: [UInt8] = []
            let rooms = try store.beginLoad()
            defer { store.endLoad() }
            #expect(try store.appendLoad(of: rooms[0], now: 10_000, into: &bytes) == 505)
            var decoder = StoreFrameDecoder()
            decoder.append(contentsOf: bytes)
            return try StoreCodecFixtures.drain(&decoder).flatMap { frame -> [UInt64] in
                guard case .lines(_, let lines) = frame else { return [] }
                return lines.map(\.offset)
            }
        }
        #expect(try loaded() == Array(1...505))
        #expect(try store.foldJournal() == 6)
        #expect(try loaded() == Array(1...505))
        #expect(try Rows.lines(store.database).map(\.1) == Array(1...505))
    }

    @Test func journalRowsOfAReplacedLogAreDroppedWhenFolded() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", epoch: "old", count: 3))])
        _ = try store.commit([batches.batch(Batches.lines("dev", epoch: "new", count: 2))])
        #expect(store.journalRows == 2 && store.rooms["dev"]!.journalRows == 1)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM journal") == 2)
        #expect(try store.foldJournal() == 2)
        #expect(try Rows.count(store.database, "SELECT count(*) FROM journal") == 0)
        #expect(try Rows.lines(store.database).map(\.4) == ["line 1", "line 2"])
        #expect(store.journalRows == 0 && store.journalBytes == 0)
    }

    @Test func malformedJournalRowIsCorruptWhenFoldedOrLoadedAndChangesNothing() throws {
        let directory = TemporaryDirectory()
        let store = try engine(directory)
        var batches = Batches()
        _ = try store.commit([batches.batch(Batches.lines("dev", count: 3))])
        try store.database.execute("UPDATE journal SET lines = substr(lines, 1, 30)")
        func isCorrupt(_ error: any Error) -> Bool {
            guard let error = error as? SQLiteError else { return false }
            return error.isCorrupt && error.message.hasPrefix("chunk 1 of room id 1 is malformed")
        }
        #expect(performing: { _ = try store.foldJournal() }, throws: isCorrupt)
        #expect(performing: { _ = try store.beginLoad() }, throws: isCorrupt)
        #expect(!store.database.isInTransaction)
        #expect(store.journalRows == 1 && store.rooms["dev"]!.journalRows == 1 && store.rooms["dev"]!.firstOffset == 0)
        // Commits go on; the bad row stays for someone to look at.
        _ = try store.commit([batches.batch(Batches.lines("dev", from: 4, count: 1))])
        #expect(store.journalRows == 2)
    }
}
