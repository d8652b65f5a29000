import CSQLite

/// A failed SQLite call: what we were doing, SQLite's message and its
/// (extended) result code, e.g. `insert line: database or disk is full
/// (SQLITE_FULL, code 13)`.
public struct SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The extended result code (sqlite3_extended_errcode); the primary
    /// code is its low byte.
    public let code: Int32
    /// SQLite's message (sqlite3_errmsg, or sqlite3_errstr without a handle).
    public let message: String
    /// What we were doing, e.g. `open /var/lib/x.sqlite3` or `commit`.
    public let context: String

    public init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The primary result code (SQLITE_FULL, SQLITE_CORRUPT, …).
    public var primaryCode: Int32 { code & 0xFF }

    /// The disk (or the database's page limit) is full.
    public var isFull: Bool { primaryCode == SQLITE_FULL }
    /// The file is damaged or not a database at all.
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    /// Another connection holds a lock (after the busy timeout).
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// The symbolic name of the primary code.
    public var codeName: String {
        switch primaryCode {
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_INTERNAL: "SQLITE_INTERNAL"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_ABORT: "SQLITE_ABORT"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_INTERRUPT: "SQLITE_INTERRUPT"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_NOTFOUND: "SQLITE_NOTFOUND"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: "SQLITE_PROTOCOL"
        case SQLITE_SCHEMA: "SQLITE_SCHEMA"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: "SQLITE_MISMATCH"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_RANGE: "SQLITE_RANGE"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        default: "SQLITE_\(primaryCode)"
        }
    }

    public var description: String {
        "\(context): \(message) (\(codeName), code \(code))"
    }

    /// The error a result code means, without a connection to ask (open failures).
    static func from(code: Int32, context: String) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errstr(code)), context: context)
    }
}
