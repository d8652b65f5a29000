@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// Applies the router's batches to the history database, with the room
/// state it needs kept in memory; runs retention in small steps and reads
/// loads. No I/O of its own beyond SQLite, no loop: `StoreServer` drives it.
///
/// A commit is all-or-nothing for the database *and* for the memory state:
/// a failed transaction (disk full, I/O error) is rolled back and the rooms
/// it touched get their values back, so the same batches can be retried.
///
/// Resends are idempotent twice over: a batch numbered at or below the last
/// one committed for the same router instance is skipped whole, and a line
/// at or below its room's stored last offset in the same epoch is skipped.
///
/// Lines are written in chunks (`LineChunk`): a commit gathers each room's
/// new lines in memory and writes them as one row per room, so SQLite's
/// work per commit follows the rooms touched, not the lines. Where a room
/// brings only a few lines (many rooms, each with a line now and then), its
/// row goes to the journal instead: appended in rowid order, the rows of a
/// commit share one or two pages, where as chunks each would rewrite a page
/// of its own. `foldJournal` later moves journal rows into chunks, many
/// lines per room at a time, in the background.
public final class StoreEngine {
    public let history: HistoryDatabase
    var database: Database { history.database }
    /// The bounds in effect (the router's, once it said HELLO).
    public var retention: RetentionSettings
    /// Gives the CPU away every 100 µs of a commit, fold or retention run
    /// (between rooms), so the store never holds a core long while the
    /// router or a gateway waits for one.
    var pacer = YieldPacer(intervalNanoseconds: 100_000)
    /// Dedupe entries of gateways that stored nothing for this long are deleted.
    public var gatewayRetentionMilliseconds: UInt64 = 7 * 86_400_000
    let clock: () -> UInt64

    var rooms: [String: StoredRoom] = [:]
    /// The same rooms by the id of their current log (journal rows name ids).
    private var roomsByID: [Int64: StoredRoom] = [:]
    /// Rows and blob bytes in the journal.
    public private(set) var journalRows = 0
    public private(set) var journalBytes = 0
    /// The journal is folded when it holds this many rows or bytes.
    public var foldRows = 2048
    public var foldBytes = 1 << 20
    private var nextRoomID: Int64 = 1
    /// Ids of replaced logs whose lines are still to delete, oldest first.
    var retired: [Int64] = []
    /// The router instance and last batch the database records as committed.
    private(set) var storedInstance: UInt64 = 0
    private(set) var storedBatch: UInt64 = 0
    /// The router instance of the current connection.
    private(set) var sessionInstance: UInt64 = 0

    let statements: StoreStatements

    // Bookkeeping of the open transaction, undone on rollback.
    private var touched: [StoredRoom] = []
    private var created: [StoredRoom] = []
    private var retiredInTransaction = 0
    private var nextRoomIDBefore: Int64 = 1
    private var gatewayMaxima: [UInt64: UInt64] = [:]
    private var definitions: [StoredRoom] = []
    private var journalBefore = (rows: 0, bytes: 0)

    // Retention.
    var retentionQueue: [StoredRoom] = []
    var retentionIndex = 0
    var lastGatewayExpiry: UInt64 = 0

    // Loads: one room's chunks, oldest first, and where each line starts
    // (the starts also serve folds, to check journal rows); each room's
    // journal lines, read when a load begins.
    var loadScratch: [UInt8] = []
    var loadRowStarts: [Int] = []
    var loadJournal: [Int64: [UInt8]] = [:]
    // Commits: where each pending line starts; a chunk being grown.
    private var chunkStarts: [Int] = []
    private var growScratch: [UInt8] = []

    /// Reads the rooms and bookkeeping of `history` into memory.
    public init(
        history: HistoryDatabase, retention: RetentionSettings, clock: @escaping () -> UInt64 = WallClock.milliseconds
    )
        throws(SQLiteError)
    {
        self.history = history
        self.retention = retention
        self.clock = clock
        statements = try StoreStatements(history.database)
        try readState()
    }

    private func readState() throws(SQLiteError) {
        let all = try database.prepare("SELECT id, name, epoch, last_offset, last_time FROM rooms")
        var highest: Int64 = 0
        while try all.step() {
            let room = StoredRoom(
                name: all.text(at: 1) ?? "", id: all.int64(at: 0), epoch: all.text(at: 2) ?? "", lastOffset: all.uint64(at: 3),
                lastTime: all.uint64(at: 4))
            rooms[room.name] = room
            roomsByID[room.id] = room
            highest = max(highest, room.id)
        }
        for room in rooms.values { try refreshChunks(room) }
        let journal = try database.prepare("SELECT room_id, count(*), sum(length(lines)) FROM journal GROUP BY room_id")
        while try journal.step() {
            roomsByID[journal.int64(at: 0)]?.journalRows = Int(journal.int64(at: 1))
            journalRows += Int(journal.int64(at: 1))
            journalBytes += Int(journal.int64(at: 2))
            // Ids are never handed out twice, not even one left only in the journal.
            highest = max(highest, journal.int64(at: 0))
        }
        let ids = try database.prepare("SELECT id FROM retired_rooms ORDER BY id")
        while try ids.step() {
            retired.append(ids.int64(at: 0))
            highest = max(highest, ids.int64(at: 0))
        }
        nextRoomID = highest + 1
        storedInstance = UInt64(bitPattern: try database.integer("SELECT value FROM meta WHERE key = 'router_instance'") ?? 0)
        storedBatch = UInt64(bitPattern: try database.integer("SELECT value FROM meta WHERE key = 'router_batch'") ?? 0)
    }

    /// Rooms known (with or without lines).
    public var roomCount: Int { rooms.count }

    /// A router connection said HELLO: batches are numbered per router
    /// instance. Returns the last batch of that instance already committed.
    public func beginSession(routerInstance: UInt64) -> UInt64 {
        sessionInstance = routerInstance
        return committedThrough
    }

    /// The last batch of the current router instance that is committed.
    public var committedThrough: UInt64 {
        sessionInstance == storedInstance ? storedBatch : 0
    }

    // MARK: Committing batches

    /// Applies `batches` (in order) in one transaction (BEGIN IMMEDIATE …
    /// COMMIT). On any error the transaction and the memory state are
    /// rolled back and the error is thrown; the batches can be retried.
    public func commit(_ batches: [PendingBatch]) throws(SQLiteError) -> CommitOutcome {
        var outcome = CommitOutcome(through: committedThrough)
        let now = clock()
        try trackedTransaction { () throws(SQLiteError) in
            for batch in batches where batch.number > outcome.through {
                try apply(batch, now: now, outcome: &outcome)
                outcome.through = batch.number
                outcome.batches += 1
            }
            try finishTransaction(through: outcome.through, now: now)
        }
        storedInstance = sessionInstance
        storedBatch = outcome.through
        return outcome
    }

    private func apply(_ batch: PendingBatch, now: UInt64, outcome: inout CommitOutcome) throws(SQLiteError) {
        // withUnsafeBytes rethrows untyped errors; carry the typed one out.
        let failure: SQLiteError? = batch.records.withUnsafeBytes { raw in
            do throws(SQLiteError) {
                try apply(AppendRecords(bytes: raw), now: now, outcome: &outcome)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    private func apply(_ records: AppendRecords, now: UInt64, outcome: inout CommitOutcome) throws(SQLiteError) {
        definitions.removeAll(keepingCapacity: true)
        let keepLines = retention.linesPerRoom > 0
        var run = GatewayMark.none
        defer { noteGateway(run) }
        for record in records {
            switch record {
            case .room(let name, let epoch):
                pacer.check()
                definitions.append(try resolve(String(decoding: name, as: UTF8.self), epoch: epoch))
            case .line(let index, let gateway, let line):
                let room = definitions[Int(index)]
                // A gateway's lines come in runs: one dictionary update per run.
                if gateway.instance != run.instance {
                    noteGateway(run)
                    run = gateway
                } else {
                    run.sequence = max(run.sequence, gateway.sequence)
                }
                guard line.offset > room.lastOffset else {
                    outcome.linesSkipped += 1
                    continue
                }
                touch(room)
                if keepLines {
                    // Already in chunk layout: copied as it came.
                    room.pending.append(contentsOf: line.wire)
                }
                room.lastOffset = line.offset
                room.lastTime = max(room.lastTime, line.time)
                outcome.linesStored += 1
            case .mark(let index, let lastOffset, let time):
                let room = definitions[Int(index)]
                touch(room)
                room.lastOffset = max(room.lastOffset, lastOffset)
                room.lastTime = max(room.lastTime, time)
            }
        }
    }

    private func noteGateway(_ mark: GatewayMark) {
        guard mark.instance != 0 else { return }
        gatewayMaxima[mark.instance] = max(gatewayMaxima[mark.instance] ?? 0, mark.sequence)
    }

    /// The room `name` in `epoch`: known, new (a row is inserted), or known
    /// in another epoch, whose log is then replaced by an empty one under a
    /// new id (the old lines are deleted later, in small steps).
    private func resolve(_ name: String, epoch epochBytes: UnsafeRawBufferPointer) throws(SQLiteError) -> StoredRoom {
        // The epoch is compared as bytes: a String of it only for a change.
        if let room = rooms[name], Self.bytes(of: room.epoch, equal: epochBytes) { return room }
        let epoch = String(decoding: epochBytes, as: UTF8.self)
        if let room = rooms[name] {
            touch(room)
            let old = room.id
            room.id = nextRoomID
            nextRoomID += 1
            roomsByID[old] = nil
            roomsByID[room.id] = room
            room.epoch = epoch
            room.lastOffset = 0
            room.forgetChunks()
            // The old log's journal rows are dropped when the journal is folded.
            room.journalRows = 0
            // Lines of the old log in this transaction go with it.
            room.dropPending()
            // Set by the records that follow the definition.
            room.lastTime = 0
            let replace = statements.replaceRoom
            replace.bind(old, at: 1)
            replace.bind(room.id, at: 2)
            replace.bind(epoch, at: 3)
            replace.bind(Int64(0), at: 4)
            try replace.run()
            statements.insertRetired.bind(old, at: 1)
            try statements.insertRetired.run()
            retired.append(old)
            retiredInTransaction += 1
            return room
        }
        let room = StoredRoom(name: name, id: nextRoomID, epoch: epoch, lastOffset: 0, lastTime: 0)
        nextRoomID += 1
        let insert = statements.insertRoom
        insert.bind(room.id, at: 1)
        insert.bind(name, at: 2)
        insert.bind(epoch, at: 3)
        insert.bind(Int64(0), at: 4)
        try insert.run()
        rooms[name] = room
        roomsByID[room.id] = room
        created.append(room)
        touch(room)
        return room
    }

    /// `string`'s UTF-8 equals `bytes` (one memcmp for a native string).
    private static func bytes(of string: String, equal bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == bytes.count else { return false }
        return utf8.withContiguousStorageIfAvailable { own in
            own.isEmpty || memcmp(own.baseAddress!, bytes.baseAddress!, own.count) == 0
        } ?? utf8.elementsEqual(bytes)
    }

    @inline(__always)
    private func touch(_ room: StoredRoom) {
        guard room.saved == nil else { return }
        room.saved = room.snapshot
        touched.append(room)
    }

    /// The lines (as journal rows or chunks) and one UPDATE of each room
    /// touched (not per line), the dedupe maxima, and the batch mark, all in
    /// the same transaction.
    private func finishTransaction(through: UInt64, now: UInt64) throws(SQLiteError) {
        let update = statements.updateRoom
        for room in touched {
            pacer.check()
            if !room.pending.isEmpty {
                // A few lines go to the journal; so do all of a room that has
                // rows there, which keeps its journal lines newer than its chunks.
                try writeLines(of: room, toJournal: room.journalRows > 0 || room.pending.count < LineChunk.growBelowBytes)
            }
            update.bind(room.id, at: 1)
            update.bind(room.lastOffset, at: 2)
            update.bind(room.lastTime, at: 3)
            try update.run()
        }
        let upsert = statements.upsertGateway
        for (instance, sequence) in gatewayMaxima {
            upsert.bind(bitPattern: instance, at: 1)
            upsert.bind(bitPattern: sequence, at: 2)
            upsert.bind(now, at: 3)
            try upsert.run()
        }
        gatewayMaxima.removeAll(keepingCapacity: true)
        let meta = statements.setMeta
        meta.bind("router_instance", at: 1)
        meta.bind(bitPattern: sessionInstance, at: 2)
        try meta.run()
        meta.bind("router_batch", at: 1)
        meta.bind(bitPattern: through, at: 2)
        try meta.run()
    }

    /// Runs `body` in one BEGIN IMMEDIATE … COMMIT; on any error the
    /// transaction is rolled back, the memory state it changed (rooms
    /// touched or created, ids, retired logs, journal counts) is restored,
    /// and the error is thrown.
    private func trackedTransaction(_ body: () throws(SQLiteError) -> Void) throws(SQLiteError) {
        nextRoomIDBefore = nextRoomID
        journalBefore = (journalRows, journalBytes)
        pacer.begin()
        do throws(SQLiteError) {
            try database.beginTransaction(immediate: true)
            try body()
            try database.commit()
        } catch {
            database.rollback()
            undoTransaction()
            throw error
        }
        keepTransaction()
    }

    /// After COMMIT: the transaction's memory state stays.
    private func keepTransaction() {
        for room in touched {
            room.saved = nil
            room.dropPending()
        }
        touched.removeAll(keepingCapacity: true)
        created.removeAll(keepingCapacity: true)
        retiredInTransaction = 0
    }

    /// After ROLLBACK: the memory state as before the transaction.
    private func undoTransaction() {
        for room in touched {
            if let saved = room.saved {
                if saved.id != room.id {
                    roomsByID[room.id] = nil
                    roomsByID[saved.id] = room
                }
                room.restore(saved)
            }
            room.saved = nil
        }
        for room in created {
            rooms[room.name] = nil
            roomsByID[room.id] = nil
        }
        retired.removeLast(retiredInTransaction)
        nextRoomID = nextRoomIDBefore
        (journalRows, journalBytes) = journalBefore
        touched.removeAll(keepingCapacity: true)
        created.removeAll(keepingCapacity: true)
        retiredInTransaction = 0
        gatewayMaxima.removeAll(keepingCapacity: true)
    }

    /// The room's log is gone (retention deleted its row).
    func forgetRoom(_ room: StoredRoom) {
        rooms[room.name] = nil
        roomsByID[room.id] = nil
    }

    // MARK: The journal

    /// Whether the journal is big enough to fold now (it is also folded by
    /// each retention run, so its lines reach chunks within about a second).
    public var journalWantsFolding: Bool {
        journalRows >= foldRows || journalBytes >= foldBytes
    }

    /// Moves the oldest journal rows (at most `maxRows`) into their rooms'
    /// chunks in one transaction: each room's lines from those rows become
    /// one chunk write (its newest chunk grown, or new chunks), and the rows
    /// are deleted. Rows of logs replaced or deleted meanwhile just go.
    /// Returns the rows folded; on error everything is as before.
    public func foldJournal(maxRows: Int = 2048) throws(SQLiteError) -> Int {
        guard journalRows > 0 else { return 0 }
        var folded = 0
        var bytes = 0
        try trackedTransaction { () throws(SQLiteError) in
            let read = statements.readJournal
            read.bind(Int64(maxRows), at: 1)
            defer { read.reset() }
            var lastID: Int64 = 0
            while try read.step() {
                pacer.check()
                lastID = read.int64(at: 0)
                folded += 1
                let blob = read.bytes(at: 5)
                bytes += blob.count
                guard let room = roomsByID[read.int64(at: 1)] else { continue }
                loadRowStarts.removeAll(keepingCapacity: true)
                try LineChunk.lineStarts(
                    of: blob, first: read.uint64(at: 2), last: read.uint64(at: 3), count: Int(read.int64(at: 4)), room: room.id,
                    into: &loadRowStarts)
                touch(room)
                room.pending.append(contentsOf: blob)
                room.journalRows -= 1
            }
            read.reset()
            // Deleted first, so the chunks can use the pages the rows free.
            statements.deleteJournal.bind(lastID, at: 1)
            try statements.deleteJournal.run()
            for room in touched where !room.pending.isEmpty {
                pacer.check()
                try writeLines(of: room, toJournal: false)
            }
        }
        if folded == 0 {
            // The counts were off (rows deleted by hand): the journal is empty.
            (journalRows, journalBytes) = (0, 0)
            for room in rooms.values { room.journalRows = 0 }
        } else {
            journalRows -= folded
            journalBytes -= bytes
        }
        return folded
    }

    /// Reads every journal row into `loadJournal` (by room id, oldest
    /// first) for the load that begins; no commit or fold runs until it ends.
    func readJournalForLoad() throws(SQLiteError) {
        loadJournal.removeAll()
        guard journalRows > 0 else { return }
        let read = statements.readJournal
        read.bind(Int64.max, at: 1)
        defer { read.reset() }
        while try read.step() {
            let id = read.int64(at: 1)
            guard roomsByID[id] != nil else { continue }
            let blob = read.bytes(at: 5)
            loadRowStarts.removeAll(keepingCapacity: true)
            try LineChunk.lineStarts(
                of: blob, first: read.uint64(at: 2), last: read.uint64(at: 3), count: Int(read.int64(at: 4)), room: id,
                into: &loadRowStarts)
            loadJournal[id, default: []].append(contentsOf: blob)
        }
    }

    /// Writes the room's pending lines as rows of at most `LineChunk.maxLines`
    /// lines and (unless one line is longer) `LineChunk.maxBytes` bytes: to
    /// the journal, or as chunks, first into its newest chunk while that is small.
    private func writeLines(of room: StoredRoom, toJournal: Bool) throws(SQLiteError) {
        let pending = room.pending
        chunkStarts.removeAll(keepingCapacity: true)
        let failure: SQLiteError? = pending.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count {
                chunkStarts.append(position)
                position += LineChunk.length(bytes, at: position)
            }
            let count = chunkStarts.count
            chunkStarts.append(bytes.count)
            do throws(SQLiteError) {
                var index = 0
                if !toJournal && room.tailFirstOffset != 0 && room.tailBytes < LineChunk.growBelowBytes {
                    let taken = linesFitting(from: 0, count: room.tailCount, bytes: room.tailBytes)
                    if taken > 0, try grow(room, with: bytes, lines: taken) { index = taken }
                }
                while index < count {
                    let taken = max(1, linesFitting(from: index, count: 0, bytes: 0))
                    try insertRow(of: room, from: bytes, lines: index..<index + taken, toJournal: toJournal)
                    index += taken
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// How many pending lines from `from` fit a chunk already holding
    /// `count` lines of `bytes` bytes.
    private func linesFitting(from: Int, count: Int, bytes: Int) -> Int {
        var taken = 0
        while from + taken + 1 < chunkStarts.count, count + taken < LineChunk.maxLines {
            let size = chunkStarts[from + taken + 1] - chunkStarts[from]
            if bytes + size > LineChunk.maxBytes { break }
            taken += 1
        }
        return taken
    }

    private func insertRow(
        of room: StoredRoom, from bytes: UnsafeRawBufferPointer, lines: Range<Int>, toJournal: Bool
    ) throws(SQLiteError) {
        let start = chunkStarts[lines.lowerBound]
        let end = chunkStarts[lines.upperBound]
        let first = LineChunk.offset(bytes, at: start)
        let last = LineChunk.offset(bytes, at: chunkStarts[lines.upperBound - 1])
        let newest = newestTime(in: bytes, lines: lines)
        let insert = toJournal ? statements.insertJournal : statements.insertChunk
        insert.bind(room.id, at: 1)
        insert.bind(first, at: 2)
        insert.bind(last, at: 3)
        insert.bind(newest, at: 4)
        insert.bind(Int64(lines.count), at: 5)
        insert.bind(blob: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), at: 6)
        try insert.run()
        if toJournal {
            room.journalRows += 1
            journalRows += 1
            journalBytes += end - start
            return
        }
        if room.firstOffset == 0 {
            room.firstOffset = first
            room.oldestChunkLastOffset = last
            room.oldestChunkTime = newest
        }
        room.tailFirstOffset = first
        room.tailCount = lines.count
        room.tailBytes = end - start
    }

    /// Appends the first `lines` pending lines to the room's newest chunk;
    /// false if that row is gone (retention took it), and nothing changed.
    private func grow(_ room: StoredRoom, with bytes: UnsafeRawBufferPointer, lines: Int) throws(SQLiteError) -> Bool {
        let read = statements.readChunk
        read.bind(room.id, at: 1)
        read.bind(room.tailFirstOffset, at: 2)
        guard try read.step() else {
            read.reset()
            room.tailFirstOffset = 0
            return false
        }
        growScratch.removeAll(keepingCapacity: true)
        growScratch.append(contentsOf: read.bytes(at: 0))
        read.reset()
        let end = chunkStarts[lines]
        growScratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
        let last = LineChunk.offset(bytes, at: chunkStarts[lines - 1])
        let newest = newestTime(in: bytes, lines: 0..<lines)
        let update = statements.growChunk
        update.bind(room.id, at: 1)
        update.bind(room.tailFirstOffset, at: 2)
        update.bind(last, at: 3)
        update.bind(newest, at: 4)
        update.bind(Int64(room.tailCount + lines), at: 5)
        let failure: SQLiteError? = growScratch.withUnsafeBytes { merged in
            update.bind(blob: merged, at: 6)
            do throws(SQLiteError) {
                try update.run()
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        if room.firstOffset == room.tailFirstOffset {
            room.oldestChunkLastOffset = last
            room.oldestChunkTime = max(room.oldestChunkTime, newest)
        }
        room.tailCount += lines
        room.tailBytes = growScratch.count
        return true
    }

    /// The newest time of pending `lines` (times need not rise with offsets).
    private func newestTime(in bytes: UnsafeRawBufferPointer, lines: Range<Int>) -> UInt64 {
        lines.reduce(0) { max($0, LineChunk.time(bytes, at: chunkStarts[$1])) }
    }

    /// Reads where the room's oldest and newest chunks are into memory.
    func refreshChunks(_ room: StoredRoom) throws(SQLiteError) {
        let oldest = statements.oldestChunk
        oldest.bind(room.id, at: 1)
        defer { oldest.reset() }
        guard try oldest.step() else {
            room.forgetChunks()
            return
        }
        room.firstOffset = oldest.uint64(at: 0)
        room.oldestChunkLastOffset = oldest.uint64(at: 1)
        room.oldestChunkTime = oldest.uint64(at: 2)
        let newest = statements.newestChunk
        newest.bind(room.id, at: 1)
        defer { newest.reset() }
        if try newest.step() {
            room.tailFirstOffset = newest.uint64(at: 0)
            room.tailCount = Int(newest.int64(at: 1))
            room.tailBytes = Int(newest.int64(at: 2))
        }
    }
}
