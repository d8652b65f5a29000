import CSQLite

/// One SQLite connection (sqlite3_open_v2). Used from one thread only: it is
/// opened with SQLITE_OPEN_NOMUTEX, and like every loop-owned type it is not
/// Sendable. Statements keep their connection alive; the connection closes
/// when the last of them and it are gone (sqlite3_close_v2).
public final class Database {
    /// How to open the file.
    public enum Mode: Sendable {
        /// Read only; the file must exist (a WAL database is readable while
        /// another process writes it).
        case readOnly
        /// Read and write; the file must exist.
        case readWrite
        /// Read and write, creating the file if missing.
        case create
    }

    let handle: OpaquePointer
    public let path: String
    private var begin: Statement?
    private var beginImmediate: Statement?
    private var commitStatement: Statement?
    private var rollbackStatement: Statement?

    public init(path: String, mode: Mode) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var pointer: OpaquePointer?
        let status = sqlite3_open_v2(path, &pointer, flags, nil)
        guard status == SQLITE_OK, let pointer else {
            // A handle is returned even on most failures and must be closed.
            let error: SQLiteError
            if let pointer {
                error = SQLiteError(
                    code: sqlite3_extended_errcode(pointer), message: String(cString: sqlite3_errmsg(pointer)),
                    context: "open \(path)")
                sqlite3_close_v2(pointer)
            } else {
                error = .from(code: status, context: "open \(path)")
            }
            throw error
        }
        handle = pointer
        self.path = path
    }

    deinit {
        begin = nil
        beginImmediate = nil
        commitStatement = nil
        rollbackStatement = nil
        sqlite3_close_v2(handle)
    }

    /// The error SQLite reports for the last call on this connection.
    func lastError(_ context: String) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), context: context)
    }

    /// Runs SQL without results (one or more statements; schema, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, context: Self.abbreviated(sql))
        }
    }

    /// Compiles one statement, kept for repeated use (SQLITE_PREPARE_PERSISTENT).
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw lastError("prepare \(Self.abbreviated(sql))") }
        return Statement(handle: pointer, database: self, sql: sql)
    }

    /// The rows of a query, each column as text (pragmas such as quick_check).
    public func textRows(_ sql: String) throws(SQLiteError) -> [[String?]] {
        let statement = try prepare(sql)
        var rows: [[String?]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map { statement.text(at: $0) })
        }
        return rows
    }

    /// The first column of the first row as an integer; nil without rows.
    public func integer(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.int64(at: 0)
    }

    /// The first column of the first row as text; nil without rows.
    public func text(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.text(at: 0)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// True inside a transaction (not in autocommit mode). SQLite rolls a
    /// transaction back by itself after some errors (SQLITE_FULL, IOERR,
    /// NOMEM, BUSY); this tells whether a ROLLBACK is still needed.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Waits up to this long for another connection's lock before SQLITE_BUSY.
    public func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// BEGIN (deferred), or BEGIN IMMEDIATE: takes the write lock at once, so
    /// a writer never fails half-way for lack of it.
    public func beginTransaction(immediate: Bool = false) throws(SQLiteError) {
        if immediate {
            if beginImmediate == nil { beginImmediate = try prepare("BEGIN IMMEDIATE") }
            try beginImmediate!.run()
        } else {
            if begin == nil { begin = try prepare("BEGIN") }
            try begin!.run()
        }
    }

    public func commit() throws(SQLiteError) {
        if commitStatement == nil { commitStatement = try prepare("COMMIT") }
        try commitStatement!.run()
    }

    /// Rolls back if a transaction is still open; never throws (a failed
    /// rollback leaves SQLite to roll back on the next open, as after a crash).
    public func rollback() {
        guard isInTransaction else { return }
        if rollbackStatement == nil { rollbackStatement = try? prepare("ROLLBACK") }
        try? rollbackStatement?.run()
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(immediate: Bool = true, _ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try beginTransaction(immediate: immediate)
        do {
            let value = try body()
            try commit()
            return value
        } catch {
            rollback()
            throw error
        }
    }

    /// SQL shortened for error contexts.
    static func abbreviated(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: { $0 == "\n" || $0 == " " }).joined(separator: " ")
        return flat.count > 60 ? String(flat.prefix(57)) + "…" : flat
    }
}
