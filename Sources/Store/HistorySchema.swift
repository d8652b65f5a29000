/// The history database's tables, version 1 (`PRAGMA user_version`).
///
/// - `rooms`: one row per room log: its epoch and the last offset handed
///   out in it, and the time of its last line (for expiry of idle rooms).
///   A new epoch gives the room a new `id`, so the old log's lines can be
///   deleted in the background instead of in one long transaction.
/// - `lines`: keyed by (room, offset) WITHOUT ROWID, so a room's lines sit
///   together in offset order in one b-tree and there is no second index.
/// - `gateways`: for dedupe across router restarts, each gateway process's
///   highest sequence number whose line is stored, and when it was last used.
/// - `retired_rooms`: ids of logs replaced by a new epoch, lines pending deletion.
/// - `meta`: the store's bookkeeping (session state, last batch committed).
enum HistorySchema {
    static let version: Int64 = 1

    static let tables = ["rooms", "lines", "gateways", "retired_rooms", "meta"]

    static let create = """
        CREATE TABLE rooms (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            epoch TEXT NOT NULL,
            last_offset INTEGER NOT NULL,
            last_time INTEGER NOT NULL
        );
        CREATE TABLE lines (
            room_id INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            time INTEGER NOT NULL,
            name TEXT NOT NULL,
            text BLOB NOT NULL,
            PRIMARY KEY (room_id, offset)
        ) WITHOUT ROWID;
        CREATE TABLE gateways (
            instance INTEGER PRIMARY KEY,
            sequence INTEGER NOT NULL,
            last_used INTEGER NOT NULL
        );
        CREATE TABLE retired_rooms (
            id INTEGER PRIMARY KEY
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value
        ) WITHOUT ROWID;
        PRAGMA user_version = 1;
        """
}
