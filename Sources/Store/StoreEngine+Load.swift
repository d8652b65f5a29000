import StoreProtocol

extension StoreEngine {
    /// Bytes of lines per LINES frame: well below the frame limit, and a
    /// load streams in pieces the loop can interleave with other work.
    static let linesPageBytes = 256 << 10

    /// Every room, in id order (the order of a load), with the journal
    /// read for `appendLoad`.
    func beginLoad() throws(SQLiteError) -> [StoredRoom] {
        try readJournalForLoad()
        return rooms.values.sorted { $0.id < $1.id }
    }

    /// The load is sent (or given up): its journal copy goes.
    func endLoad() {
        loadJournal.removeAll()
    }

    /// Appends the ROOM frame of `room` and LINES frames with its last
    /// `linesPerRoom` lines younger than the TTL, oldest first, to `buffer`;
    /// returns how many lines. They are the contiguous run ending at the
    /// room's last offset (what the router's in-memory log can hold): the
    /// scan goes down from the last offset and stops at the first gap or
    /// expired line. Chunks are read newest first until they cover the run;
    /// the room's journal lines, newer than all its chunks, follow them.
    func appendLoad(of room: StoredRoom, now: UInt64, into buffer: inout [UInt8]) throws(SQLiteError) -> Int {
        loadScratch.removeAll(keepingCapacity: true)
        loadRowStarts.removeAll(keepingCapacity: true)
        let size = UInt64(retention.linesPerRoom)
        var first = 0
        let journal = loadJournal[room.id]
        if size > 0 && (room.firstOffset != 0 || journal != nil) {
            let lowest = room.lastOffset - min(room.lastOffset, size)
            if room.firstOffset != 0 { try readChunks(of: room, above: lowest) }
            if let journal { appendLines(journal) }
            first = runStart(of: room, above: lowest, cutoff: expiryCutoff(now: now))
        }
        let count = loadRowStarts.count - first
        StoreFrame.room(
            LoadedRoom(
                id: UInt64(room.id), name: room.name, epoch: room.epoch, lastOffset: room.lastOffset, lastTime: room.lastTime,
                lineCount: UInt32(count))
        ).encode(into: &buffer)
        guard count > 0 else { return 0 }
        var frame = StoreFrame.beginLines(room: UInt64(room.id), into: &buffer)
        var pageBytes = 0
        loadScratch.withUnsafeBytes { scratch in
            // The lines are in wire layout already: copied as they are.
            for index in first..<loadRowStarts.count {
                let start = loadRowStarts[index]
                let end = index + 1 < loadRowStarts.count ? loadRowStarts[index + 1] : scratch.count
                if pageBytes > 0 && pageBytes + (end - start) > Self.linesPageBytes {
                    StoreFrame.finishFrame(startingAt: frame, in: &buffer)
                    frame = StoreFrame.beginLines(room: UInt64(room.id), into: &buffer)
                    pageBytes = 0
                }
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[start..<end]))
                pageBytes += end - start
            }
        }
        StoreFrame.finishFrame(startingAt: frame, in: &buffer)
        return count
    }

    /// Fills `loadScratch` with the room's chunks holding offsets above
    /// `lowest`, oldest first, and `loadRowStarts` with where each line starts.
    private func readChunks(of room: StoredRoom, above lowest: UInt64) throws(SQLiteError) {
        let query = statements.lastChunks
        query.bind(room.id, at: 1)
        query.bind(lowest, at: 2)
        defer { query.reset() }
        // Newest first from the query; each chunk is checked as it is read.
        var chunks: [[UInt8]] = []
        while try query.step() {
            let blob = query.bytes(at: 3)
            loadRowStarts.removeAll(keepingCapacity: true)
            try LineChunk.lineStarts(
                of: blob, first: query.uint64(at: 0), last: query.uint64(at: 1), count: Int(query.int64(at: 2)), room: room.id,
                into: &loadRowStarts)
            chunks.append(Array(blob))
            if query.uint64(at: 0) <= lowest + 1 { break }
        }
        loadRowStarts.removeAll(keepingCapacity: true)
        for chunk in chunks.reversed() { appendLines(chunk) }
    }

    /// Appends checked lines to `loadScratch`, and where each starts to `loadRowStarts`.
    private func appendLines(_ lines: [UInt8]) {
        let base = loadScratch.count
        loadScratch.append(contentsOf: lines)
        lines.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count {
                loadRowStarts.append(base + position)
                position += LineChunk.length(bytes, at: position)
            }
        }
    }

    /// The index in `loadRowStarts` of the first line of the contiguous run
    /// of unexpired lines above `lowest` that ends at the room's last offset.
    private func runStart(of room: StoredRoom, above lowest: UInt64, cutoff: UInt64?) -> Int {
        loadScratch.withUnsafeBytes { scratch in
            var index = loadRowStarts.count
            var expected = room.lastOffset
            while index > 0 {
                let start = loadRowStarts[index - 1]
                let offset = LineChunk.offset(scratch, at: start)
                if offset != expected || offset <= lowest { break }
                if let cutoff, LineChunk.time(scratch, at: start) <= cutoff { break }
                index -= 1
                expected -= 1
            }
            return index
        }
    }

    /// Appends GATEWAYS frames with every dedupe entry not yet expired;
    /// returns how many entries.
    func appendGateways(now: UInt64, into buffer: inout [UInt8]) throws(SQLiteError) -> Int {
        let query = statements.liveGateways
        query.bind(now > gatewayRetentionMilliseconds ? now - gatewayRetentionMilliseconds : 0, at: 1)
        defer { query.reset() }
        var marks: [GatewayMark] = []
        var total = 0
        while try query.step() {
            marks.append(
                GatewayMark(instance: UInt64(bitPattern: query.int64(at: 0)), sequence: UInt64(bitPattern: query.int64(at: 1))))
            if marks.count == 4096 {
                StoreFrame.gateways(marks).encode(into: &buffer)
                total += marks.count
                marks.removeAll(keepingCapacity: true)
            }
        }
        if !marks.isEmpty { StoreFrame.gateways(marks).encode(into: &buffer) }
        return total + marks.count
    }
}
