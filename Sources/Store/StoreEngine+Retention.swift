import StoreProtocol

extension StoreEngine {
    /// Does one small piece of retention in its own short transaction and
    /// returns the rows it deleted or moved (0: nothing left to do for now).
    /// Pieces: the journal folded into chunks (first, so its lines come
    /// under retention within a run of it); the chunks of a log replaced by
    /// a new epoch; a room's chunks whose lines are all beyond
    /// `linesPerRoom` or older than the TTL (a chunk
    /// holds at most `LineChunk.maxLines`, so the disk keeps fewer than that
    /// many lines more per room than the router loads); a room with no
    /// lines idle past the TTL (its next use starts a new epoch, as in the
    /// router's memory); dedupe entries of gateways long gone. At most
    /// `maxRows` rows per piece, so the write lock is never held long and a
    /// batch never waits behind a big DELETE. Pages freed this way are reused
    /// by later inserts: VACUUM is never needed for correctness.
    public func retentionStep(maxRows: Int = 64) throws(SQLiteError) -> Int {
        let now = clock()
        if journalRows > 0 {
            let folded = try foldJournal()
            if folded > 0 { return folded }
        }
        if let id = retired.first { return try deleteRetiredChunks(id, maxRows: maxRows) }
        if now >= lastGatewayExpiry + 60_000 {
            lastGatewayExpiry = now
            let expired = try expireGateways(now: now)
            if expired > 0 { return expired }
        }
        if retentionIndex >= retentionQueue.count {
            // One pass over every room per refill; a pass without work ends the step.
            retentionQueue = Array(rooms.values)
            retentionIndex = 0
        }
        while retentionIndex < retentionQueue.count {
            let room = retentionQueue[retentionIndex]
            guard rooms[room.name] === room else {
                retentionIndex += 1
                continue
            }
            let deleted = try trim(room, now: now, maxRows: maxRows)
            if deleted > 0 { return deleted }
            retentionIndex += 1
        }
        return 0
    }

    /// The TTL's cutoff: a line at or before it is expired, as in the
    /// router's memory (a TTL of 0 keeps nothing); nil while no time can be
    /// that old (no overflow).
    func expiryCutoff(now: UInt64) -> UInt64? {
        guard now >= retention.ttlMilliseconds else { return nil }
        return now - retention.ttlMilliseconds
    }

    private func trim(_ room: StoredRoom, now: UInt64, maxRows: Int) throws(SQLiteError) -> Int {
        let cutoff = expiryCutoff(now: now)
        if room.firstOffset == 0 {
            guard let cutoff, room.lastTime <= cutoff else { return 0 }
            try database.transaction { () throws(SQLiteError) in
                statements.deleteRoom.bind(room.id, at: 1)
                try statements.deleteRoom.run()
            }
            forgetRoom(room)
            return 1
        }
        let size = UInt64(retention.linesPerRoom)
        let keepFrom = room.lastOffset >= size ? room.lastOffset - size + 1 : 1
        var deleted = 0
        let before = room.firstOffset
        try database.transaction { () throws(SQLiteError) in
            let delete: Statement
            if room.oldestChunkLastOffset < keepFrom {
                delete = statements.deleteBelow
                delete.bind(keepFrom, at: 2)
            } else if let cutoff, room.oldestChunkTime <= cutoff {
                delete = statements.deleteExpired
                delete.bind(cutoff, at: 2)
            } else {
                return
            }
            delete.bind(room.id, at: 1)
            delete.bind(Int64(maxRows), at: 3)
            try delete.run()
            deleted = database.changes
            try refreshChunks(room)
        }
        // Memory may have been stale (rows deleted by hand): if nothing was
        // deleted, the corrected oldest chunk still counts as progress once.
        if deleted > 0 { return deleted }
        return room.firstOffset != before ? 1 : 0
    }

    private func deleteRetiredChunks(_ id: Int64, maxRows: Int) throws(SQLiteError) -> Int {
        var deleted = 0
        try database.transaction { () throws(SQLiteError) in
            let chunks = statements.deleteSomeChunks
            chunks.bind(id, at: 1)
            chunks.bind(Int64(maxRows), at: 2)
            try chunks.run()
            deleted = database.changes
            if deleted < maxRows {
                statements.deleteRetired.bind(id, at: 1)
                try statements.deleteRetired.run()
            }
        }
        if deleted < maxRows { retired.removeFirst() }
        return deleted + 1
    }

    private func expireGateways(now: UInt64) throws(SQLiteError) -> Int {
        guard now > gatewayRetentionMilliseconds else { return 0 }
        var deleted = 0
        try database.transaction { () throws(SQLiteError) in
            statements.expireGateways.bind(now - gatewayRetentionMilliseconds, at: 1)
            try statements.expireGateways.run()
            deleted = database.changes
        }
        return deleted
    }
}
