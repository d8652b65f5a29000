import Foundation
import Testing

@testable import Store

@Suite("History database")
struct HistoryDatabaseTests {
    @Test func newDatabaseGetsTheSchemaInWALMode() throws {
        let directory = TemporaryDirectory()
        let history = try HistoryDatabase.openForWriting(directory: directory.path)
        #expect(history.previousSession == .none)
        #expect(try history.database.integer("PRAGMA user_version") == 3)
        #expect(try history.database.text("PRAGMA journal_mode") == "wal")
        let tables = try history.database.textRows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map {
            $0[0]!
        }
        #expect(tables == ["chunks", "gateways", "journal", "meta", "retired_rooms", "rooms"])
        let attributes = try FileManager.default.attributesOfItem(atPath: history.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func cleanCloseIsRecognisedAtTheNextOpen() throws {
        let directory = TemporaryDirectory()
        try HistoryDatabase.openForWriting(directory: directory.path).closeCleanly()
        #expect(try HistoryDatabase.openForWriting(directory: directory.path).previousSession == .clean)
    }

    @Test func writerThatDiedOnThisBootKeepsEveryEpoch() throws {
        let directory = TemporaryDirectory()
        do {
            let history = try HistoryDatabase.openForWriting(directory: directory.path)
            try history.database.execute("INSERT INTO rooms VALUES(1, 'dev', 'e1', 5, 0)")
            // No closeCleanly: as after kill -9.
        }
        let again = try HistoryDatabase.openForWriting(directory: directory.path)
        #expect(again.previousSession == .processDied)
        #expect(try Rows.room(again.database, "dev")?.epoch == "e1")
    }

    @Test func machineThatStoppedWhileTheWriterRanGivesEveryRoomANewEpoch() throws {
        let directory = TemporaryDirectory()
        do {
            let history = try HistoryDatabase.openForWriting(directory: directory.path)
            try history.database.execute("INSERT INTO rooms VALUES(1, 'dev', 'e1', 5, 0), (2, 'ops', 'e2', 7, 0)")
            // As if written under another boot and never closed cleanly.
            try history.database.execute("UPDATE meta SET value = 'another-boot' WHERE key = 'boot_id'")
        }
        let again = try HistoryDatabase.openForWriting(directory: directory.path)
        #expect(again.previousSession == .machineStopped(roomsGivenNewEpochs: 2))
        let dev = try #require(try Rows.room(again.database, "dev"))
        #expect(dev.epoch != "e1" && dev.epoch.utf8.count == 16)
        #expect(dev.lastOffset == 5)
        #expect(try Rows.room(again.database, "ops")?.epoch != "e2")
    }

    @Test func unknownSchemaVersionIsAClearErrorAtOpen() throws {
        let directory = TemporaryDirectory()
        try HistoryDatabase.openForWriting(directory: directory.path).database.execute("PRAGMA user_version = 7")
        #expect {
            _ = try HistoryDatabase.openForWriting(directory: directory.path)
        } throws: { error in
            "\(error)".contains("has schema version 7, this machat knows versions 2 to 3")
        }
    }

    @Test func versionTwoIsReadAsItIsAndUpgradedInPlaceByTheWriter() throws {
        let directory = TemporaryDirectory()
        do {
            // A version 2 file: version 3 without the journal, one line in a chunk.
            let history = try HistoryDatabase.openForWriting(directory: directory.path)
            let store = try StoreEngine(history: history, retention: StoreEngineTests.retention)
            var batches = Batches()
            _ = try store.commit([batches.batch(Batches.lines("dev", count: 2))])
            #expect(try store.foldJournal() == 1)
            try history.database.execute("DROP TABLE journal; PRAGMA user_version = 2")
            history.closeCleanly()
        }
        let reader = try HistoryDatabase.openForReading(directory: directory.path)
        #expect(!reader.hasJournal)
        var printed: [UInt8] = []
        _ = try HistoryCommand.run(HistoryCommand.Request(room: "dev", dataDirectory: directory.path)) {
            printed += $0
            return true
        }
        #expect(String(decoding: printed, as: UTF8.self) == "Mina:line 1\nMina:line 2\n")
        let writer = try HistoryDatabase.openForWriting(directory: directory.path)
        #expect(try writer.database.integer("PRAGMA user_version") == 3)
        let store = try StoreEngine(history: writer, retention: StoreEngineTests.retention)
        var batches = Batches()
        _ = store.beginSession(routerInstance: 2)
        _ = try store.commit([batches.batch(Batches.lines("dev", from: 3, count: 1))])
        #expect(try Rows.lines(writer.database).map(\.1) == [1, 2, 3])
        #expect(try HistoryDatabase.openForReading(directory: directory.path).hasJournal)
    }

    @Test func anotherProgramsDatabaseIsRefused() throws {
        let directory = TemporaryDirectory()
        let other = try Database(path: DataDirectory.databasePath(in: directory.path), mode: .create)
        try other.execute("CREATE TABLE photos(id INTEGER)")
        #expect {
            _ = try HistoryDatabase.openForWriting(directory: directory.path)
        } throws: { error in
            "\(error)".contains("is not a machat history database (it has tables photos and no schema version)")
        }
    }

    @Test func garbageFileIsReportedCorruptWithWhatToDo() throws {
        let directory = TemporaryDirectory()
        let garbage = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        _ = FileManager.default.createFile(atPath: DataDirectory.databasePath(in: directory.path), contents: Data(garbage))
        for open in [
            { _ = try HistoryDatabase.openForWriting(directory: directory.path) },
            { _ = try HistoryDatabase.openForReading(directory: directory.path) },
        ] {
            #expect {
                try open()
            } throws: { error in
                let text = "\(error)"
                return text.contains("history.sqlite3 is corrupt (file is not a database)")
                    && text.contains("move it and its -wal and -shm files aside")
            }
        }
    }

    @Test func garbageWrittenIntoACopysPagesIsCaughtAtOpen() throws {
        let directory = TemporaryDirectory()
        do {
            let history = try HistoryDatabase.openForWriting(directory: directory.path)
            let engine = try StoreEngine(history: history, retention: .init(linesPerRoom: 100_000, ttlMilliseconds: forever))
            var batches = Batches()
            for room in 0..<20 { _ = try engine.commit([batches.batch(Batches.lines("room\(room)", count: 200))]) }
            history.closeCleanly()
        }
        let copy = TemporaryDirectory()
        var bytes = [UInt8](FileManager.default.contents(atPath: DataDirectory.databasePath(in: directory.path))!)
        let pages = bytes.count / 4096
        try #require(pages > 20)
        // Keep the header and the schema page; wreck the b-tree pages after them.
        for index in (3 * 4096)..<((pages - 1) * 4096) { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
        _ = FileManager.default.createFile(atPath: DataDirectory.databasePath(in: copy.path), contents: Data(bytes))
        #expect {
            _ = try HistoryDatabase.openForWriting(directory: copy.path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("is corrupt (") && text.contains(copy.path)
        }
    }

    @Test func directoryWhereTheFileShouldBeCannotBeOpened() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: DataDirectory.databasePath(in: directory.path), withIntermediateDirectories: false)
        #expect {
            _ = try HistoryDatabase.openForWriting(directory: directory.path)
        } throws: { error in
            "\(error)".hasPrefix("cannot open history database \(directory.path)/history.sqlite3")
        }
    }

    @Test func readingWithoutADatabaseSaysWhereItLooked() {
        #expect {
            _ = try HistoryDatabase.openForReading(directory: "/tmp/machat-nowhere-\(UInt32.random(in: 0...UInt32.max))")
        } throws: { error in
            "\(error)".hasPrefix("no history database at /tmp/machat-nowhere-")
        }
    }

    @Test func dataDirectoryIsCreatedPrivateWithItsParents() throws {
        let directory = TemporaryDirectory()
        let nested = directory.file("a/b/c")
        try DataDirectory.ensure(nested)
        let attributes = try FileManager.default.attributesOfItem(atPath: nested)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        _ = FileManager.default.createFile(atPath: directory.file("plain"), contents: Data())
        #expect(throws: StoreError.self) { try DataDirectory.ensure(directory.file("plain")) }
    }

    @Test func defaultDataDirectoryFollowsXDGStateHome() {
        let saved = ProcessInfo.processInfo.environment["XDG_STATE_HOME"]
        defer {
            if let saved { setenv("XDG_STATE_HOME", saved, 1) } else { unsetenv("XDG_STATE_HOME") }
        }
        setenv("XDG_STATE_HOME", "/var/state", 1)
        #expect(DataDirectory.defaultPath() == "/var/state/machat")
        setenv("XDG_STATE_HOME", "relative/state", 1)
        #expect(DataDirectory.defaultPath() == (ProcessInfo.processInfo.environment["HOME"] ?? "/") + "/.local/state/machat")
    }
}
