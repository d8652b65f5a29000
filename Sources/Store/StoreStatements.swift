/// The store's prepared statements, compiled once per connection.
struct StoreStatements {
    let insertChunk: Statement
    let insertJournal: Statement
    let readJournal: Statement
    let deleteJournal: Statement
    let readChunk: Statement
    let growChunk: Statement
    let insertRoom: Statement
    let updateRoom: Statement
    let replaceRoom: Statement
    let insertRetired: Statement
    let upsertGateway: Statement
    let setMeta: Statement
    let oldestChunk: Statement
    let newestChunk: Statement
    // Retention.
    let deleteBelow: Statement
    let deleteExpired: Statement
    let deleteSomeChunks: Statement
    let deleteRetired: Statement
    let deleteRoom: Statement
    let expireGateways: Statement
    // Loads.
    let lastChunks: Statement
    let liveGateways: Statement

    init(_ database: Database) throws(SQLiteError) {
        insertChunk = try database.prepare(
            "INSERT INTO chunks(room_id, first_offset, last_offset, last_time, line_count, lines) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
        insertJournal = try database.prepare(
            "INSERT INTO journal(room_id, first_offset, last_offset, last_time, line_count, lines) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
        )
        readJournal = try database.prepare(
            "SELECT id, room_id, first_offset, last_offset, line_count, lines FROM journal ORDER BY id LIMIT ?1")
        deleteJournal = try database.prepare("DELETE FROM journal WHERE id <= ?1")
        readChunk = try database.prepare("SELECT lines FROM chunks WHERE room_id = ?1 AND first_offset = ?2")
        growChunk = try database.prepare(
            """
            UPDATE chunks SET last_offset = ?3, last_time = max(last_time, ?4), line_count = ?5, lines = ?6
            WHERE room_id = ?1 AND first_offset = ?2
            """)
        insertRoom = try database.prepare("INSERT INTO rooms(id, name, epoch, last_offset, last_time) VALUES(?1, ?2, ?3, 0, ?4)")
        updateRoom = try database.prepare("UPDATE rooms SET last_offset = ?2, last_time = ?3 WHERE id = ?1")
        replaceRoom = try database.prepare("UPDATE rooms SET id = ?2, epoch = ?3, last_offset = 0, last_time = ?4 WHERE id = ?1")
        insertRetired = try database.prepare("INSERT OR IGNORE INTO retired_rooms(id) VALUES(?1)")
        upsertGateway = try database.prepare(
            """
            INSERT INTO gateways(instance, sequence, last_used) VALUES(?1, ?2, ?3)
            ON CONFLICT(instance) DO UPDATE SET sequence = max(sequence, excluded.sequence), last_used = excluded.last_used
            """)
        setMeta = try database.prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2")
        oldestChunk = try database.prepare(
            "SELECT first_offset, last_offset, last_time FROM chunks WHERE room_id = ?1 ORDER BY first_offset LIMIT 1")
        newestChunk = try database.prepare(
            "SELECT first_offset, line_count, length(lines) FROM chunks WHERE room_id = ?1 ORDER BY first_offset DESC LIMIT 1")
        deleteBelow = try database.prepare(
            """
            DELETE FROM chunks WHERE room_id = ?1 AND first_offset IN
            (SELECT first_offset FROM chunks WHERE room_id = ?1 AND last_offset < ?2 ORDER BY first_offset LIMIT ?3)
            """)
        deleteExpired = try database.prepare(
            """
            DELETE FROM chunks WHERE room_id = ?1 AND first_offset IN
            (SELECT first_offset FROM chunks WHERE room_id = ?1 AND last_time <= ?2 ORDER BY first_offset LIMIT ?3)
            """)
        deleteSomeChunks = try database.prepare(
            "DELETE FROM chunks WHERE rowid IN (SELECT rowid FROM chunks WHERE room_id = ?1 LIMIT ?2)")
        deleteRetired = try database.prepare("DELETE FROM retired_rooms WHERE id = ?1")
        deleteRoom = try database.prepare("DELETE FROM rooms WHERE id = ?1")
        expireGateways = try database.prepare("DELETE FROM gateways WHERE last_used <= ?1")
        lastChunks = try database.prepare(
            "SELECT first_offset, last_offset, line_count, lines FROM chunks WHERE room_id = ?1 AND last_offset > ?2 ORDER BY first_offset DESC"
        )
        liveGateways = try database.prepare("SELECT instance, sequence FROM gateways WHERE last_used > ?1 ORDER BY instance")
    }
}
