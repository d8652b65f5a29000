@preconcurrency import Glibc
import Foundation
import Reactor
import StoreClient
import StoreProtocol
import Testing

@testable import Store

/// The real `machat-store` binary with a real `StoreLink` on a loop of the
/// test's own: batches, restarts, kill -9, a full disk, readers beside it.
@Suite("machat-store process", .serialized)
struct StoreProcessTests {
    static let keepAll = RetentionSettings(linesPerRoom: 1_000_000, ttlMilliseconds: forever)

    /// A store, a link to it and a recorder, in one temporary directory.
    final class Rig {
        let directory = TemporaryDirectory("e2e")
        let loop = try! EventLoop()
        var store: StoreProcess?
        let recorder = LinkRecorder()
        var link: StoreLink
        var socketPath: String { directory.file("store.sock") }
        var dataDirectory: String { directory.file("data") }

        init(
            retention: RetentionSettings = keepAll, storeArguments: [String] = [], startStore: Bool = true,
            configure: (inout StoreLinkOptions) -> Void = { _ in }
        ) throws {
            var options = StoreLinkOptions(retention: retention)
            options.backoff = ReconnectBackoff(initialMilliseconds: 5, maximumMilliseconds: 100)
            configure(&options)
            link = StoreLink(socketPath: directory.file("store.sock"), loop: loop, options: options)
            link.delegate = recorder
            if startStore { try self.startStore(storeArguments) }
        }

        func startStore(_ arguments: [String] = []) throws {
            store = try StoreProcess(socketPath: socketPath, dataDirectory: dataDirectory, arguments: arguments)
        }

        /// A new link (as a restarted router would make), started.
        func replaceLink(retention: RetentionSettings = keepAll) {
            link.stop()
            var options = StoreLinkOptions(retention: retention)
            options.backoff = ReconnectBackoff(initialMilliseconds: 5, maximumMilliseconds: 100)
            link = StoreLink(socketPath: socketPath, loop: loop, options: options)
            link.delegate = recorder
            link.start()
        }

        func turn() { loop.runOnce(maxWaitMilliseconds: 0) }

        /// Runs the loop until every ticket up to `ticket` is committed.
        func waitForCommit(through ticket: StoreTicket, timeout: Double = 30) -> Bool {
            loop.run(timeout: timeout) { link.committedThrough >= ticket }
        }

        /// Stops the store cleanly and reads what the database holds.
        func stopAndReadLines() throws -> [(String, UInt64, UInt64, String, String)] {
            store?.terminate()
            let history = try HistoryDatabase.openForReading(directory: dataDirectory)
            return try Rows.lines(history.database)
        }
    }

    @Test func linesOfOneTurnGoOutAsOneBatchAndAreCommitted() throws {
        let rig = try Rig()
        rig.link.start()
        #expect(rig.loop.run { rig.link.state == .ready })
        let tickets = (1...3).map {
            rig.link.append(room: "dev", epoch: "e1", offset: UInt64($0), time: 100, name: "Mina", text: "hi \($0)")
        }
        #expect(Set(tickets).count == 1)
        #expect(rig.waitForCommit(through: tickets[0]))
        #expect(rig.recorder.commits == [tickets[0]])
        #expect(rig.link.uncommittedBytes == 0)
        let lines = try rig.stopAndReadLines()
        #expect(lines.map(\.4) == ["hi 1", "hi 2", "hi 3"])
        #expect(rig.store!.log.contains("msg=\"router connected\""))
    }

    /// The store's wake-ups must not preempt delivery: it runs as SCHED_BATCH.
    @Test func theStoreRunsAsBackgroundWork() throws {
        let rig = try Rig()
        rig.link.start()
        #expect(rig.loop.run { rig.link.state == .ready })
        #expect(rig.store!.schedulingPolicy == 3)  // SCHED_BATCH (sched.h)
        #expect(!rig.store!.log.contains("SCHED_BATCH"))
        rig.store!.terminate()
    }

    @Test func restartedStoreLoadsRoomsLinesEpochsAndDedupeMarks() throws {
        let rig = try Rig(retention: RetentionSettings(linesPerRoom: 3, ttlMilliseconds: forever))
        rig.link.start()
        var last: StoreTicket = 0
        for offset in 1...5 {
            last = rig.link.append(
                room: "dev", epoch: "9f2c4e1a7b3d5c60", offset: UInt64(offset), time: 1000 + UInt64(offset), name: "Mina",
                text: "line \(offset)",
                gateway: GatewayMark(instance: 77, sequence: UInt64(offset)))
        }
        rig.link.mark(room: "empty", epoch: "0000000000000001", lastOffset: 0, time: 2000)
        last = rig.link.append(room: "ops", epoch: "abc", offset: 1, time: 3000, name: "Bo", text: "")
        #expect(rig.waitForCommit(through: last))
        rig.store!.terminate()
        #expect(rig.store!.exitCode == 0)
        try rig.startStore()
        #expect(rig.store!.log.contains("previous_session=clean"))
        rig.replaceLink(retention: RetentionSettings(linesPerRoom: 3, ttlMilliseconds: forever))
        rig.link.load()
        #expect(rig.loop.run { rig.recorder.finished != nil })
        #expect(rig.recorder.finished == LoadSummary(rooms: 3, lines: 4, gateways: 1))
        #expect(rig.recorder.rooms.map(\.name) == ["dev", "empty", "ops"])
        #expect(rig.recorder.rooms.map(\.epoch) == ["9f2c4e1a7b3d5c60", "0000000000000001", "abc"])
        #expect(rig.recorder.rooms.map(\.lastOffset) == [5, 0, 1])
        #expect(rig.recorder.lines["dev"]?.map(\.offset) == [3, 4, 5])
        #expect(rig.recorder.lines["dev"]?.last == StoredLine(offset: 5, time: 1005, name: "Mina", text: Array("line 5".utf8)))
        #expect(rig.recorder.lines["ops"] == [StoredLine(offset: 1, time: 3000, name: "Bo", text: [])])
        #expect(rig.recorder.gateways == [GatewayMark(instance: 77, sequence: 5)])
        // Offsets continue under the same epoch.
        let next = rig.link.append(room: "dev", epoch: "9f2c4e1a7b3d5c60", offset: 6, time: 1006, name: "Mina", text: "line 6")
        #expect(rig.waitForCommit(through: next))
        #expect(try rig.stopAndReadLines().filter { $0.0 == "dev" }.map(\.1).last == 6)
    }

    @Test func killingTheStoreMidStreamLosesNoLineAndDuplicatesNone() throws {
        let rig = try Rig()
        rig.link.start()
        let rooms = (0..<5).map { "room\($0)" }
        let perRoom = 4000
        var last: StoreTicket = 0
        var kills = 0
        for step in 0..<(perRoom / 10) {
            for room in rooms {
                for k in 1...10 {
                    let offset = UInt64(step * 10 + k)
                    last = rig.link.append(
                        room: room, epoch: "e", offset: offset, time: offset, name: "n", text: "\(room) line \(offset)")
                }
            }
            rig.turn()
            if step % 100 == 50 {
                // Batches are in flight and uncommitted right now.
                #expect(rig.link.uncommittedBatches > 0)
                print(
                    "kill -9 with \(rig.link.uncommittedBatches) batches uncommitted, committed through \(rig.link.committedThrough)"
                )
                rig.store!.killHard()
                kills += 1
                try rig.startStore()
                #expect(rig.store!.log.contains("previous_session=\"store died (nothing lost)\""))
            }
        }
        #expect(kills == 4)
        #expect(rig.waitForCommit(through: last, timeout: 60))
        #expect(rig.recorder.commits == rig.recorder.commits.sorted())
        #expect(rig.link.uncommittedBytes == 0)
        let lines = try rig.stopAndReadLines()
        #expect(lines.count == rooms.count * perRoom)
        for room in rooms {
            let mine = lines.filter { $0.0 == room }
            #expect(mine.map(\.1) == (1...UInt64(perRoom)).map { $0 })
            #expect(mine.allSatisfy { $0.4 == "\(room) line \($0.1)" })
        }
    }

    @Test func linesWaitWithinTheBoundWhileTheStoreIsDownThenCommit() throws {
        let rig = try Rig(startStore: false) { $0.maxUncommittedBytes = 8 << 10 }
        rig.link.start()
        #expect(rig.loop.run { if case .down = rig.link.state { return true } else { return false } })
        var offset: UInt64 = 0
        var last: StoreTicket = 0
        while !rig.link.isOverLimit && offset < 10_000 {
            offset += 1
            last = rig.link.append(
                room: "dev", epoch: "e", offset: offset, time: 1, name: "n", text: String(repeating: "x", count: 100))
            rig.turn()
        }
        #expect(rig.link.isOverLimit)
        #expect(!rig.link.hasRoom(forBytes: 200))
        #expect(rig.link.uncommittedBatches > 1)
        try rig.startStore()
        #expect(rig.waitForCommit(through: last))
        #expect(!rig.link.isOverLimit)
        #expect(rig.recorder.states.contains(.ready))
        #expect(try rig.stopAndReadLines().map(\.1) == Array(1...offset))
    }

    @Test func fullDatabaseReportsFailingKeepsTheLinesAndRecoversWhenRowsAreDeleted() throws {
        let rig = try Rig(storeArguments: ["-max-db-bytes", "256KiB"])
        rig.link.start()
        let text = String(repeating: "f", count: 1500)
        var offset: UInt64 = 0
        // Fill the database until the store says it cannot commit.
        while rig.recorder.statuses.isEmpty && offset < 2000 {
            offset += 1
            let ticket = rig.link.append(room: "filler", epoch: "e", offset: offset, time: 1, name: "n", text: text)
            rig.loop.run(timeout: 5) { rig.link.committedThrough >= ticket || !rig.recorder.statuses.isEmpty }
        }
        guard case .failing(let reason) = rig.recorder.statuses.first else {
            Issue.record("no failing status after \(offset) lines")
            return
        }
        #expect(reason == "database or disk is full")
        #expect(
            rig.store!.waitForLog(
                "msg=\"history store cannot commit; lines wait and are retried\" reason=\"database or disk is full\""))
        // Chat goes on: more lines are taken and wait.
        var last: StoreTicket = 0
        for k in 1...20 {
            last = rig.link.append(room: "after", epoch: "e", offset: UInt64(k), time: 2, name: "n", text: "after \(k)")
        }
        rig.loop.run(timeout: 0.5) { false }
        #expect(rig.link.committedThrough < last)
        #expect(rig.link.state == .ready)
        #expect(!rig.store!.hasExited)
        // Another process frees pages; the store's retry then commits.
        #expect(offset > 20)
        let freed = offset / 2
        _ = try Python.run(
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=10); c.execute(\"DELETE FROM chunks WHERE room_id = (SELECT id FROM rooms WHERE name = 'filler') AND last_offset <= ?\", (int(sys.argv[2]),)); c.commit()",
            arguments: [DataDirectory.databasePath(in: rig.dataDirectory), String(freed)])
        #expect(rig.waitForCommit(through: last))
        #expect(rig.recorder.statuses.last == .healthy)
        #expect(rig.store!.waitForLog("msg=\"history store commits again\""))
        let lines = try rig.stopAndReadLines()
        #expect(lines.filter { $0.0 == "after" }.map(\.4) == (1...20).map { "after \($0)" })
        // Whole chunks went: what is left is the run from the first chunk
        // that reached past `freed`.
        let filler = lines.filter { $0.0 == "filler" }.map(\.1)
        #expect(filler.last == offset && filler.first! <= freed + 1 && filler == Array(filler.first!...offset))
    }

    @Test func aJournalRowThatGoesBadWhileRunningIsLoggedAndCommitsGoOn() throws {
        let rig = try Rig()
        rig.link.start()
        let first = rig.link.append(room: "dev", epoch: "e", offset: 1, time: 1, name: "n", text: "line 1")
        #expect(rig.waitForCommit(through: first))
        // Another process damages the journal row before the store folds it.
        _ = try Python.run(
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=10); c.execute(\"UPDATE journal SET lines = substr(lines, 1, 10)\"); print(c.total_changes); c.commit()",
            arguments: [DataDirectory.databasePath(in: rig.dataDirectory)])
        var last: StoreTicket = 0
        for offset in 2...30 {
            last = rig.link.append(room: "dev", epoch: "e", offset: UInt64(offset), time: 1, name: "n", text: "line \(offset)")
            rig.loop.run(timeout: 0.01) { false }
        }
        #expect(rig.waitForCommit(through: last))
        #expect(
            rig.store!.waitForLog(
                "msg=\"history retention failed; retrying next second\" error=\"read lines: chunk 1 of room id 1 is malformed"))
        #expect(!rig.store!.hasExited)
        #expect(rig.link.state == .ready)
        rig.store!.terminate()
        // The lines after the damaged row are all there, in the journal.
        let history = try HistoryDatabase.openForReading(directory: rig.dataDirectory)
        #expect(try Rows.count(history.database, "SELECT coalesce(sum(line_count), 0) FROM journal") == 30)
    }

    @Test func corruptDatabaseStopsTheStoreAtStartWithAClearError() throws {
        let directory = TemporaryDirectory("e2e")
        try DataDirectory.ensure(directory.file("data"))
        _ = FileManager.default.createFile(
            atPath: DataDirectory.databasePath(in: directory.file("data")), contents: Data(repeating: 0x5A, count: 10_000))
        let store = try StoreProcess(
            socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"), waitUntilListening: false)
        #expect(store.waitForExit())
        #expect(store.exitCode == StoreCommand.unusableExitStatus)
        #expect(
            store.log.contains("history.sqlite3 is corrupt (file is not a database); move it and its -wal and -shm files aside"))
    }

    @Test func readersInOtherProcessesSeeAGrowingPrefixWhileTheStoreWrites() throws {
        let rig = try Rig()
        rig.link.start()
        let first = rig.link.append(room: "live", epoch: "e", offset: 1, time: 1, name: "n", text: "line 1")
        #expect(rig.waitForCommit(through: first))
        let total = 6000
        // Python polls the database read-only until it has seen every line;
        // it says when it has started, and how many distinct counts it saw.
        let started = rig.directory.file("reader-started")
        let reader = try Python(
            """
            import sqlite3, sys, time
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=10)
            open(sys.argv[3], "w").close()
            seen, counts, deadline = 0, set(), time.time() + 60
            while seen < int(sys.argv[2]) and time.time() < deadline:
                # Chunks and the journal: a fold moves lines between them in one transaction.
                count, top = db.execute("SELECT coalesce(sum(line_count), 0), coalesce(max(last_offset), 0) FROM "
                    "(SELECT line_count, last_offset FROM chunks UNION ALL SELECT line_count, last_offset FROM journal)").fetchone()
                assert count == top, (count, top)
                assert count >= seen, (count, seen)
                seen = count
                counts.add(count)
            print(seen, len(counts))
            """, arguments: [DataDirectory.databasePath(in: rig.dataDirectory), String(total), started])
        #expect(waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: started) })
        var last: StoreTicket = 0
        var snapshots: [Int] = []
        for offset in 2...total {
            last = rig.link.append(room: "live", epoch: "e", offset: UInt64(offset), time: 1, name: "n", text: "line \(offset)")
            guard offset % 20 == 0 else { continue }
            // About 1.5 s of writing, a batch every 5 ms.
            rig.loop.run(timeout: 0.005) { false }
            if offset % 1000 == 0 {
                // machat history, from this process, between the store's commits.
                var text: [UInt8] = []
                let printed = try HistoryCommand.run(HistoryCommand.Request(room: "live", dataDirectory: rig.dataDirectory)) {
                    text += $0
                    return true
                }
                #expect(String(decoding: text, as: UTF8.self) == (1...max(1, printed)).map { "n:line \($0)\n" }.joined())
                snapshots.append(printed)
            }
        }
        #expect(rig.waitForCommit(through: last))
        let answer = String(decoding: try reader.finish(), as: UTF8.self).split(separator: " ").map {
            Int($0.filter(\.isNumber)) ?? 0
        }
        #expect(answer.first == total)
        #expect(answer.last ?? 0 >= 10, "the reader saw the log grow")
        #expect(snapshots == snapshots.sorted() && snapshots.last ?? 0 > snapshots.first ?? 0)
        rig.store!.terminate()
    }

    @Test func loadOfAThousandRoomsOfAThousandLinesStaysWithinBounds() throws {
        let rig = try Rig(retention: RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: forever), startStore: false)
        try DataDirectory.ensure(rig.dataDirectory)
        try HistoryDatabase.openForWriting(directory: rig.dataDirectory).closeCleanly()
        // Python's sqlite3 writes a million lines into our schema.
        _ = try Python.run(
            ThousandRooms.script, arguments: [DataDirectory.databasePath(in: rig.dataDirectory)], timeout: 120)
        try rig.startStore()
        rig.link.start()
        let started = monotonicSeconds()
        rig.link.load()
        #expect(rig.loop.run(timeout: 60) { rig.recorder.finished != nil })
        let seconds = monotonicSeconds() - started
        #expect(rig.recorder.finished == LoadSummary(rooms: 1000, lines: 1_000_000, gateways: 0))
        #expect(rig.recorder.rooms.count == 1000)
        #expect(rig.recorder.lines.values.allSatisfy { $0.count == 1000 && $0.first!.offset == 1 && $0.last!.offset == 1000 })
        #expect(rig.recorder.lines["room0500"]?[41].text == Array("line 42 of room 500, with some typical chat text".utf8))
        // Debug build, two shared cores; the release figure is in the report.
        #expect(seconds < 60)
        print("load of 1000 rooms x 1000 lines: \(String(format: "%.2f", seconds)) s")
        rig.store!.terminate()
    }
}
