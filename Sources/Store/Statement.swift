import CSQLite

/// A prepared statement (sqlite3_stmt): bind parameters (1-based), step,
/// read columns (0-based), reset. Text and blobs bound from a raw buffer are
/// used in place (SQLITE_STATIC), so that buffer must stay valid until the
/// statement is reset; `reset()` also clears every binding so none dangles.
public final class Statement {
    let handle: OpaquePointer
    /// The connection; held so it outlives its statements.
    let database: Database
    public let sql: String

    init(handle: OpaquePointer, database: Database, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    // A bind fails only for a parameter index out of range or a value over
    // SQLITE_MAX_LENGTH: programmer errors, so they trap with the SQL.
    @inline(__always)
    private func check(_ status: Int32, _ index: Int32) {
        precondition(status == SQLITE_OK, "bind \(index) of \(sql): \(String(cString: sqlite3_errstr(status)))")
    }

    public func bind(_ value: Int64, at index: Int32) {
        check(sqlite3_bind_int64(handle, index, value), index)
    }

    /// Binds an unsigned value by its bit pattern (gateway instances are
    /// random 64-bit numbers; SQLite integers are signed).
    public func bind(bitPattern value: UInt64, at index: Int32) {
        bind(Int64(bitPattern: value), at: index)
    }

    /// Binds a non-negative value that fits 63 bits (offsets, times).
    public func bind(_ value: UInt64, at index: Int32) {
        precondition(value <= UInt64(Int64.max), "value \(value) does not fit an SQLite integer")
        bind(Int64(value), at: index)
    }

    /// Binds UTF-8 text in place (valid until `reset()`).
    public func bind(text bytes: UnsafeRawBufferPointer, at index: Int32) {
        // A null pointer would bind NULL; an empty string must stay a string.
        guard let pointer = bytes.baseAddress, bytes.count > 0 else {
            check(sqlite3_bind_text(handle, index, "", 0, csqlite_transient()), index)
            return
        }
        check(
            sqlite3_bind_text(handle, index, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), csqlite_static()),
            index)
    }

    /// Binds a blob in place (valid until `reset()`).
    public func bind(blob bytes: UnsafeRawBufferPointer, at index: Int32) {
        guard let pointer = bytes.baseAddress, bytes.count > 0 else {
            check(sqlite3_bind_zeroblob(handle, index, 0), index)
            return
        }
        check(sqlite3_bind_blob(handle, index, pointer, Int32(bytes.count), csqlite_static()), index)
    }

    /// Binds a string, copied by SQLite.
    public func bind(_ value: String, at index: Int32) {
        check(sqlite3_bind_text(handle, index, value, -1, csqlite_transient()), index)
    }

    public func bindNull(at index: Int32) {
        check(sqlite3_bind_null(handle, index), index)
    }

    // MARK: Running

    /// Steps once: true if a row is ready to read, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.lastError(Database.abbreviated(sql))
            reset()
            throw error
        }
    }

    /// Steps to the end, then resets: for statements without rows.
    public func run() throws(SQLiteError) {
        while try step() {}
        reset()
    }

    /// Makes the statement ready to run again and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns (of the current row)

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func isNull(at column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    public func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// A non-negative integer column (offsets, times); negative reads as 0.
    public func uint64(at column: Int32) -> UInt64 {
        UInt64(max(0, sqlite3_column_int64(handle, column)))
    }

    public func text(at column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// A text or blob column's bytes, valid until the next step or reset.
    public func bytes(at column: Int32) -> UnsafeRawBufferPointer {
        // Ask for the pointer first, then the size (sqlite3_column_blob docs).
        guard let pointer = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
    }
}
