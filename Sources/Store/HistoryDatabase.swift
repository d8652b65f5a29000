@preconcurrency import Glibc
import CSQLite
import Reactor

/// The history database of a data directory, opened and checked: WAL
/// journal, the schema at a version we know, no corruption found.
///
/// Durability (see `Synchronous`): with WAL, COMMIT appends the transaction
/// to the `-wal` file with write(2) before it returns, so once it returns the
/// transaction survives the death of any process (the kernel holds the
/// bytes); with `.full` it is also fsync'ed, so it survives power loss.
///
/// Sessions: the writer records the boot id (/proc/sys/kernel/random/boot_id)
/// and an unclean mark at open, durably, and a clean mark at a clean close.
/// An unclean mark left under another boot id means the machine stopped
/// while the store ran (power loss, crash): lines the router had delivered
/// may be missing from the log, so `openForWriting` gives every room a new
/// epoch and no resuming client is told that an offset means what it no
/// longer does.
public final class HistoryDatabase {
    /// How hard each commit pushes its bytes to the disk (PRAGMA synchronous).
    public enum Synchronous: String, Sendable, CaseIterable {
        /// No fsync per commit (the WAL is synced at checkpoints): a commit
        /// survives any process being killed; a power loss can roll back the
        /// last commits (never corrupt the file).
        case normal
        /// fsync of the WAL at every commit: a commit also survives power
        /// loss, for about one fsync per batch.
        case full
    }

    /// How the previous writer's session ended, as found at open.
    public enum PreviousSession: Equatable, Sendable {
        /// A new database.
        case none
        /// Closed cleanly.
        case clean
        /// The writer process died (kill -9, crash) on this boot: its
        /// commits are all in the file.
        case processDied
        /// The machine stopped while the writer ran: the last commits may be
        /// lost, so every room got a new epoch.
        case machineStopped(roomsGivenNewEpochs: Int)
    }

    /// Options of the writer.
    public struct WriteOptions: Sendable {
        public var synchronous = Synchronous.normal
        /// The database may not grow beyond this (0: no limit); past it
        /// commits fail as if the disk were full, until retention frees pages.
        public var maxBytes = 0
        /// Truncate the `-wal` file back to this after checkpoints.
        public var walSizeLimit = 64 << 20
        /// SQLite's page cache, in KiB.
        public var cacheKibibytes = 16 << 10
        /// WAL pages between automatic checkpoints.
        public var checkpointPages = 4000

        public init() {}
    }

    public let database: Database
    public let path: String
    public let previousSession: PreviousSession
    /// False only for a reader of a version 2 file (no writer opened it since).
    public let hasJournal: Bool
    private var isWriter: Bool

    private init(database: Database, path: String, previousSession: PreviousSession, isWriter: Bool, hasJournal: Bool) {
        self.database = database
        self.path = path
        self.previousSession = previousSession
        self.isWriter = isWriter
        self.hasJournal = hasJournal
    }

    /// Opens (creating if needed) the database in `directory` for the store
    /// process: WAL, `options`, schema created or checked, `PRAGMA
    /// quick_check`, session recorded. Any problem is a `StoreError` whose
    /// message names the file and says what to do.
    public static func openForWriting(
        directory: String, options: WriteOptions = WriteOptions()
    ) throws(StoreError)
        -> HistoryDatabase
    {
        let path = DataDirectory.databasePath(in: directory)
        // Chat history is private: a new file is created 0600, and SQLite
        // gives the -wal and -shm files the database file's mode.
        let created = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
        let database: Database
        do {
            database = try Database(path: path, mode: .create)
        } catch {
            throw error.isCorrupt ? .corrupt(path: path, detail: error.message) : .cannotOpen(path: path, error)
        }
        do {
            database.setBusyTimeout(milliseconds: 2000)
            // The first read of the file: garbage fails here (SQLITE_NOTADB).
            let mode = try database.text("PRAGMA journal_mode = WAL")
            guard mode == "wal" else {
                throw StoreError.sqlite(
                    path: path,
                    SQLiteError(
                        code: SQLITE_ERROR, message: "journal mode is \(mode ?? "unknown"), not wal",
                        context: "PRAGMA journal_mode"))
            }
            try database.execute("PRAGMA journal_size_limit = \(options.walSizeLimit)")
            // A bigger page cache and fewer checkpoints: lines of many rooms
            // interleave, so each transaction touches many leaf pages, and a
            // checkpoint (with its fsyncs) every 16 MiB of WAL instead of 4.
            try database.execute("PRAGMA cache_size = -\(options.cacheKibibytes)")
            try database.execute("PRAGMA wal_autocheckpoint = \(options.checkpointPages)")
            _ = try checkOrCreateSchema(database, path: path, create: true)
            try quickCheck(database, path: path)
            if options.maxBytes > 0 {
                let pageSize = try database.integer("PRAGMA page_size") ?? 4096
                try database.execute("PRAGMA max_page_count = \(max(1, Int64(options.maxBytes) / pageSize))")
            }
            let previous = try beginSession(database)
            try database.execute("PRAGMA synchronous = \(options.synchronous.rawValue.uppercased())")
            return HistoryDatabase(database: database, path: path, previousSession: previous, isWriter: true, hasJournal: true)
        } catch let error as StoreError {
            throw error
        } catch let error as SQLiteError {
            throw StoreError.opening(path, error)
        } catch {
            throw StoreError.sqlite(path: path, SQLiteError(code: SQLITE_ERROR, message: "\(error)", context: "open"))
        }
    }

    /// Opens the database in `directory` read-only (for `machat history`);
    /// works while the store writes it, thanks to WAL.
    public static func openForReading(directory: String) throws(StoreError) -> HistoryDatabase {
        let path = DataDirectory.databasePath(in: directory)
        var info = stat()
        guard stat(path, &info) == 0 else { throw .noDatabase(path: path) }
        let database: Database
        do {
            database = try Database(path: path, mode: .readOnly)
        } catch {
            throw error.isCorrupt ? .corrupt(path: path, detail: error.message) : .cannotOpen(path: path, error)
        }
        database.setBusyTimeout(milliseconds: 5000)
        let hasJournal: Bool
        do {
            hasJournal = try checkOrCreateSchema(database, path: path, create: false)
        } catch let error as StoreError {
            throw error
        } catch let error as SQLiteError {
            throw StoreError.opening(path, error)
        } catch {
            throw StoreError.sqlite(path: path, SQLiteError(code: SQLITE_ERROR, message: "\(error)", context: "open"))
        }
        return HistoryDatabase(
            database: database, path: path, previousSession: .clean, isWriter: false, hasJournal: hasJournal)
    }

    /// Marks the session clean with one synced commit, which makes every
    /// earlier commit durable too (the WAL is written in order), then lets
    /// the connection close. Only the writer marks anything.
    public func closeCleanly() {
        guard isWriter else { return }
        isWriter = false
        do {
            try database.execute("PRAGMA synchronous = FULL")
            try database.execute("INSERT INTO meta(key, value) VALUES('clean', 1) ON CONFLICT(key) DO UPDATE SET value = 1")
            // Copy the WAL into the database and empty it, so a stopped
            // store leaves one self-contained file (readers may still hold
            // parts of it; then the next writer finishes the job).
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            Log.warn("could not mark the history database closed cleanly", ["path": path, "error": error])
        }
    }

    // MARK: Opening steps

    /// A new file gets the schema; an existing one must be ours at our
    /// version, or version 2, which the writer upgrades in place (it only
    /// lacks the journal) and a reader reads as it is. Returns whether the
    /// file has the journal table.
    private static func checkOrCreateSchema(_ database: Database, path: String, create: Bool) throws -> Bool {
        let version = try database.integer("PRAGMA user_version") ?? 0
        let tables = Set(
            try database.textRows("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.first ?? nil })
        if version == 0 && tables.isEmpty && create {
            try database.transaction { () throws(SQLiteError) in try database.execute(HistorySchema.create) }
            return true
        }
        if version == 0 {
            throw StoreError.notHistoryDatabase(
                path: path,
                detail: tables.isEmpty
                    ? "it is empty" : "it has tables \(tables.sorted().joined(separator: ", ")) and no schema version")
        }
        guard version == HistorySchema.version || version == 2 else {
            throw StoreError.unknownSchemaVersion(path: path, found: version, supported: HistorySchema.version)
        }
        let expected = HistorySchema.tables.filter { version == HistorySchema.version || $0 != "journal" }
        let missing = expected.filter { !tables.contains($0) }
        guard missing.isEmpty else {
            throw StoreError.notHistoryDatabase(path: path, detail: "tables missing: \(missing.joined(separator: ", "))")
        }
        guard version == 2 else { return true }
        guard create else { return false }
        try database.transaction { () throws(SQLiteError) in try database.execute(HistorySchema.upgradeFrom2) }
        Log.info("history database upgraded to schema version 3", ["path": path])
        return true
    }

    /// PRAGMA quick_check: every page and b-tree readable and well formed
    /// (it skips only the index-to-table cross checks of integrity_check).
    private static func quickCheck(_ database: Database, path: String) throws {
        let rows = try database.textRows("PRAGMA quick_check(5)").compactMap { $0.first ?? nil }
        guard rows == ["ok"] else {
            throw StoreError.corrupt(path: path, detail: "quick_check: " + rows.joined(separator: "; "))
        }
    }

    /// Reads how the last session ended and starts a new one, durably
    /// (one synced commit), so that a power loss later in this session is
    /// recognised at the next open.
    private static func beginSession(_ database: Database) throws -> PreviousSession {
        let clean = try database.integer("SELECT value FROM meta WHERE key = 'clean'")
        let previousBoot = try database.text("SELECT value FROM meta WHERE key = 'boot_id'")
        let boot = currentBootID()
        var previous: PreviousSession
        switch clean {
        case nil: previous = .none
        case 1: previous = .clean
        default: previous = previousBoot == boot ? .processDied : .machineStopped(roomsGivenNewEpochs: 0)
        }
        try database.execute("PRAGMA synchronous = FULL")
        try database.transaction { () throws(SQLiteError) in
            if case .machineStopped = previous {
                previous = .machineStopped(roomsGivenNewEpochs: try giveEveryRoomANewEpoch(database))
            }
            let mark = try database.prepare(
                "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2")
            mark.bind("clean", at: 1)
            mark.bind(Int64(0), at: 2)
            try mark.run()
            mark.bind("boot_id", at: 1)
            mark.bind(boot, at: 2)
            try mark.run()
        }
        return previous
    }

    private static func giveEveryRoomANewEpoch(_ database: Database) throws(SQLiteError) -> Int {
        let ids = try database.prepare("SELECT id FROM rooms")
        var rooms: [Int64] = []
        while try ids.step() { rooms.append(ids.int64(at: 0)) }
        let update = try database.prepare("UPDATE rooms SET epoch = ?2 WHERE id = ?1")
        for id in rooms {
            update.bind(id, at: 1)
            update.bind(RoomEpoch.make(), at: 2)
            try update.run()
        }
        return rooms.count
    }

    /// This boot's id; empty if the kernel does not tell.
    static func currentBootID() -> String {
        (DataDirectoryLock.readSmallFile("/proc/sys/kernel/random/boot_id") ?? "").filter { !$0.isWhitespace }
    }
}
