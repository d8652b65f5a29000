/// The store's prepared statements, compiled once per connection.
struct StoreStatements {
    let insertLine: Statement
    let insertRoom: Statement
    let updateRoom: Statement
    let replaceRoom: Statement
    let insertRetired: Statement
    let upsertGateway: Statement
    let setMeta: Statement
    let firstLine: Statement
    // Retention.
    let deleteRange: Statement
    let deleteExpired: Statement
    let deleteOldestLines: Statement
    let deleteRetired: Statement
    let deleteRoom: Statement
    let expireGateways: Statement
    // Loads.
    let lastLines: Statement
    let liveGateways: Statement

    init(_ database: Database) throws(SQLiteError) {
        // OR IGNORE: a line already stored under (room, offset) is done, a
        // second line of defence behind the in-memory last offset.
        insertLine = try database.prepare(
            "INSERT OR IGNORE INTO lines(room_id, offset, time, name, text) VALUES(?1, ?2, ?3, ?4, ?5)")
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
        firstLine = try database.prepare("SELECT offset, time FROM lines WHERE room_id = ?1 ORDER BY offset LIMIT 1")
        deleteRange = try database.prepare("DELETE FROM lines WHERE room_id = ?1 AND offset >= ?2 AND offset < ?3")
        deleteExpired = try database.prepare(
            """
            DELETE FROM lines WHERE room_id = ?1 AND time <= ?3
            AND offset IN (SELECT offset FROM lines WHERE room_id = ?1 ORDER BY offset LIMIT ?2)
            """)
        deleteOldestLines = try database.prepare(
            "DELETE FROM lines WHERE room_id = ?1 AND offset IN (SELECT offset FROM lines WHERE room_id = ?1 ORDER BY offset LIMIT ?2)"
        )
        deleteRetired = try database.prepare("DELETE FROM retired_rooms WHERE id = ?1")
        deleteRoom = try database.prepare("DELETE FROM rooms WHERE id = ?1")
        expireGateways = try database.prepare("DELETE FROM gateways WHERE last_used <= ?1")
        lastLines = try database.prepare(
            "SELECT offset, time, name, text FROM lines WHERE room_id = ?1 AND offset > ?2 ORDER BY offset DESC")
        liveGateways = try database.prepare("SELECT instance, sequence FROM gateways WHERE last_used > ?1 ORDER BY instance")
    }
}
