/// One room's log in memory: the offsets it has handed out, its epoch, and
/// the most recent lines (offset, time, name, text) within the history
/// bounds. No I/O; `MemoryEngine` owns the logs and the bounds across them.
///
/// Storage is compact so a busy node can hold a lot of history: each line is
/// a 24-byte entry in a ring plus its name and text bytes in fixed-size
/// chunks (4 KiB, or one chunk of its own for a larger line). A chunk is
/// freed once its last line is evicted, so memory follows what is held.
public final class RoomLog {
    /// Per-line metadata; the offset is implied by the position in the ring.
    struct Entry {
        var time: UInt64
        var chunk: UInt32
        var position: UInt32
        var textLength: UInt32
        var nameLength: UInt16
    }

    /// Bytes of name and text for consecutive lines.
    final class Chunk {
        var bytes: [UInt8]
        var liveLines = 0

        init(capacity: Int) {
            bytes = []
            bytes.reserveCapacity(capacity)
        }
    }

    static let chunkSize = 4096
    /// Bytes accounted per chunk beyond its storage: the object and array headers.
    static let chunkOverhead = 80

    public let name: String
    /// Changes whenever continuity is lost (a new log for the same room name).
    public let epoch: String
    /// The last offset handed out; 0 before the first line.
    public private(set) var lastOffset: UInt64
    /// Time of the last line appended (ms since the Unix epoch), for LRU and TTL.
    public internal(set) var lastActive: UInt64

    private var entries: [Entry] = []
    /// Index in `entries` of the oldest held line, and how many are held.
    private var head = 0
    public private(set) var count = 0
    private var chunks: [Chunk] = []
    /// Chunk number of `chunks[0]` (chunk numbers only grow).
    private var firstChunk: UInt32 = 0
    /// Memory accounted to this log, in bytes.
    public private(set) var bytes = 0

    /// Neighbours in the engine's least-recently-active list.
    unowned(unsafe) var older: RoomLog?
    unowned(unsafe) var newer: RoomLog?
    var isListed = false

    init(name: String, epoch: String, lastOffset: UInt64 = 0, now: UInt64) {
        self.name = name
        self.epoch = epoch
        self.lastOffset = lastOffset
        self.lastActive = now
    }

    /// Offset of the oldest line held; `lastOffset + 1` when none is.
    public var firstOffset: UInt64 { lastOffset - UInt64(count) + 1 }

    /// Hands out the next offset without keeping the line (history off).
    /// Held lines must be contiguous up to `lastOffset`, so any are dropped.
    func skip() -> UInt64 {
        while evictOldest() {}
        lastOffset += 1
        return lastOffset
    }

    /// Appends a line under the next offset and returns the offset; the
    /// oldest line goes first if `maxLines` (at least 1) are held already.
    func append(time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, maxLines: Int) -> UInt64 {
        if count >= maxLines { evictOldest() }
        lastOffset += 1
        lastActive = time
        let size = name.count + text.count
        if chunks.isEmpty || chunks[chunks.count - 1].bytes.capacity - chunks[chunks.count - 1].bytes.count < size {
            let chunk = Chunk(capacity: max(Self.chunkSize, size))
            chunks.append(chunk)
            bytes += chunk.bytes.capacity + Self.chunkOverhead
        }
        let chunk = chunks[chunks.count - 1]
        let entry = Entry(
            time: time, chunk: firstChunk &+ UInt32(chunks.count - 1), position: UInt32(chunk.bytes.count),
            textLength: UInt32(text.count), nameLength: UInt16(name.count))
        chunk.bytes.append(contentsOf: name)
        chunk.bytes.append(contentsOf: text)
        chunk.liveLines += 1
        if count == entries.count { growRing(maxLines: maxLines) }
        entries[(head + count) % entries.count] = entry
        count += 1
        return lastOffset
    }

    /// The ring is full: double it, but never beyond the line bound.
    private func growRing(maxLines: Int) {
        let size = min(max(16, entries.count * 2), max(maxLines, count + 1))
        var grown: [Entry] = []
        grown.reserveCapacity(size)
        for i in 0..<count { grown.append(entries[(head + i) % entries.count]) }
        let placeholder = Entry(time: 0, chunk: 0, position: 0, textLength: 0, nameLength: 0)
        grown.append(contentsOf: repeatElement(placeholder, count: size - count))
        bytes += (grown.capacity - entries.capacity) * MemoryLayout<Entry>.stride
        entries = grown
        head = 0
    }

    /// Drops the oldest line; false if none was held.
    @discardableResult
    func evictOldest() -> Bool {
        guard count > 0 else { return false }
        let entry = entries[head]
        head = (head + 1) % entries.count
        count -= 1
        let chunk = chunks[Int(entry.chunk &- firstChunk)]
        chunk.liveLines -= 1
        // Chunks empty out in order, oldest first.
        while let first = chunks.first, first.liveLines == 0, chunks.count > 1 || count == 0 {
            bytes -= first.bytes.capacity + Self.chunkOverhead
            chunks.removeFirst()
            firstChunk &+= 1
        }
        if count == 0 {
            bytes -= entries.capacity * MemoryLayout<Entry>.stride
            entries = []
            head = 0
        }
        return true
    }

    /// Time of the oldest line held, nil when empty.
    var oldestTime: UInt64? {
        count > 0 ? entries[head].time : nil
    }

    /// Calls `body` with each held line whose offset is in `range`, oldest
    /// first, until it returns false. Bytes are valid only during the call.
    func forEachLine(
        in range: ClosedRange<UInt64>,
        _ body: (_ offset: UInt64, _ time: UInt64, _ name: UnsafeRawBufferPointer, _ text: UnsafeRawBufferPointer) -> Bool
    ) {
        guard count > 0 else { return }
        let lower = max(range.lowerBound, firstOffset)
        let upper = min(range.upperBound, lastOffset)
        guard lower <= upper else { return }
        var offset = lower
        while offset <= upper {
            let entry = entries[(head + Int(offset - firstOffset)) % entries.count]
            let chunk = chunks[Int(entry.chunk &- firstChunk)]
            let keepGoing = chunk.bytes.withUnsafeBytes { raw in
                let start = Int(entry.position)
                let nameEnd = start + Int(entry.nameLength)
                return body(
                    offset, entry.time, UnsafeRawBufferPointer(rebasing: raw[start..<nameEnd]),
                    UnsafeRawBufferPointer(rebasing: raw[nameEnd..<(nameEnd + Int(entry.textLength))]))
            }
            if !keepGoing { return }
            offset += 1
        }
    }
}
