/// The history database's tables, version 3 (`PRAGMA user_version`).
///
/// - `rooms`: one row per room log: its epoch and the last offset handed
///   out in it, and the time of its last line (for expiry of idle rooms).
///   A new epoch gives the room a new `id`, so the old log's lines can be
///   deleted in the background instead of in one long transaction.
/// - `chunks`: a room's lines in runs of consecutive offsets, one row per
///   run (`LineChunk` is the blob's layout): a commit writes one row per
///   room it touched, not one per line, and retention deletes whole runs.
///   Keyed by (room, first offset), so a room's chunks sit in offset order.
/// - `journal`: rows like `chunks` (one per room per commit) for rooms whose
///   commit brings only a few lines, appended in rowid order so that the
///   lines of many rooms share a page; folded into `chunks` in the
///   background. A room's journal lines are always newer than its chunks,
///   and every line is in exactly one of the two tables.
/// - `gateways`: for dedupe across router restarts, each gateway process's
///   highest sequence number whose line is stored, and when it was last used.
/// - `retired_rooms`: ids of logs replaced by a new epoch, lines pending deletion.
/// - `meta`: the store's bookkeeping (session state, last batch committed).
enum HistorySchema {
    static let version: Int64 = 3

    static let tables = ["rooms", "chunks", "journal", "gateways", "retired_rooms", "meta"]

    /// Version 2 was version 3 without the journal.
    static let upgradeFrom2 = journal + "PRAGMA user_version = 3;"

    private static let journal = """
        CREATE TABLE journal (
            id INTEGER PRIMARY KEY,
            room_id INTEGER NOT NULL,
            first_offset INTEGER NOT NULL,
            last_offset INTEGER NOT NULL,
            last_time INTEGER NOT NULL,
            line_count INTEGER NOT NULL,
            lines BLOB NOT NULL
        );

        """

    static let create =
        journal + """
            CREATE TABLE rooms (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                epoch TEXT NOT NULL,
                last_offset INTEGER NOT NULL,
                last_time INTEGER NOT NULL
            );
            CREATE TABLE chunks (
                room_id INTEGER NOT NULL,
                first_offset INTEGER NOT NULL,
                last_offset INTEGER NOT NULL,
                last_time INTEGER NOT NULL,
                line_count INTEGER NOT NULL,
                lines BLOB NOT NULL,
                PRIMARY KEY (room_id, first_offset)
            );
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
            PRAGMA user_version = 3;
            """
}
