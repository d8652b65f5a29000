import StoreProtocol

extension StoreEngine {
    /// Bytes of lines per LINES frame: well below the frame limit, and a
    /// load streams in pieces the loop can interleave with other work.
    static let linesPageBytes = 256 << 10

    /// Every room, in id order (the order of a load).
    func roomsForLoad() -> [StoredRoom] {
        rooms.values.sorted { $0.id < $1.id }
    }

    /// Appends the ROOM frame of `room` and LINES frames with its last
    /// `linesPerRoom` lines younger than the TTL, oldest first, to `buffer`;
    /// returns how many lines. They are the contiguous run ending at the
    /// room's last offset (what the router's in-memory log can hold): the
    /// scan goes down from the last offset and stops at the first gap or
    /// expired line.
    func appendLoad(of room: StoredRoom, now: UInt64, into buffer: inout [UInt8]) throws(SQLiteError) -> Int {
        loadScratch.removeAll(keepingCapacity: true)
        loadRowStarts.removeAll(keepingCapacity: true)
        let size = UInt64(retention.linesPerRoom)
        if size > 0 && room.firstOffset != 0 {
            let cutoff = expiryCutoff(now: now)
            let query = statements.lastLines
            query.bind(room.id, at: 1)
            query.bind(room.lastOffset - min(room.lastOffset, size), at: 2)
            defer { query.reset() }
            var expected = room.lastOffset
            while try query.step() {
                let offset = query.uint64(at: 0)
                let time = query.uint64(at: 1)
                if offset != expected { break }
                if let cutoff, time <= cutoff { break }
                loadRowStarts.append(loadScratch.count)
                StoreFrame.appendLine(
                    offset: offset, time: time, name: query.bytes(at: 2), text: query.bytes(at: 3), into: &loadScratch)
                expected -= 1
            }
        }
        let count = loadRowStarts.count
        StoreFrame.room(
            LoadedRoom(
                id: UInt64(room.id), name: room.name, epoch: room.epoch, lastOffset: room.lastOffset, lastTime: room.lastTime,
                lineCount: UInt32(count))
        ).encode(into: &buffer)
        guard count > 0 else { return 0 }
        var frame = StoreFrame.beginLines(room: UInt64(room.id), into: &buffer)
        var pageBytes = 0
        loadScratch.withUnsafeBytes { scratch in
            // Newest first in the scratch; oldest first on the wire.
            for index in stride(from: count - 1, through: 0, by: -1) {
                let start = loadRowStarts[index]
                let end = index + 1 < count ? loadRowStarts[index + 1] : scratch.count
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
