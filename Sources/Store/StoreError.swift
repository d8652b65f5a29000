import Reactor

/// Why the history store (its directory, lock or database) cannot be used.
/// Every message names the file and says what to do.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// The data directory could not be created or is not a directory.
    case unusableDirectory(path: String, reason: String)
    /// SQLite could not open the file (permissions, a directory in the way, …).
    case cannotOpen(path: String, SQLiteError)
    /// The file is damaged or not a database.
    case corrupt(path: String, detail: String)
    /// A database of another program, or of a machat schema we do not know.
    case notHistoryDatabase(path: String, detail: String)
    /// Written by a newer (or unknown) machat.
    case unknownSchemaVersion(path: String, found: Int64, supported: Int64)
    /// Reading: there is no database to read.
    case noDatabase(path: String)
    /// Any other SQLite failure while opening or checking.
    case sqlite(path: String, SQLiteError)
    /// Another process holds the data directory.
    case locked(DataDirectoryLockError)

    public var description: String {
        switch self {
        case .unusableDirectory(let path, let reason):
            return "cannot use data directory \(path): \(reason)"
        case .cannotOpen(let path, let error):
            return "cannot open history database \(path): \(error.message) (\(error.codeName)); check the file and its directory"
        case .corrupt(let path, let detail):
            return
                "history database \(path) is corrupt (\(detail)); move it and its -wal and -shm files aside to start an empty history, or restore a backup"
        case .notHistoryDatabase(let path, let detail):
            return "\(path) is not a machat history database (\(detail)); point -data-dir at another directory"
        case .unknownSchemaVersion(let path, let found, let supported):
            return
                "history database \(path) has schema version \(found), this machat knows versions 2 to \(supported); run the machat that wrote it, or another -data-dir"
        case .noDatabase(let path):
            return "no history database at \(path); machat keeps one there while it runs with this -data-dir"
        case .sqlite(let path, let error):
            return "history database \(path): \(error)"
        case .locked(let error):
            return error.description
        }
    }

    /// An SQLite error met while opening `path`, classified.
    static func opening(_ path: String, _ error: SQLiteError) -> StoreError {
        if error.isCorrupt { return .corrupt(path: path, detail: error.message) }
        return .sqlite(path: path, error)
    }
}
