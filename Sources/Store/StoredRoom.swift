/// The store's view of one room log, kept in memory beside its row so a
/// batch needs no query per line: the epoch, the last offset, which chunks
/// are on disk (for retention and for growing the newest), its rows in the
/// journal, and the lines of the open transaction.
final class StoredRoom {
    let name: String
    var id: Int64
    var epoch: String
    var lastOffset: UInt64
    /// Time of the last line or mark, ms since the Unix epoch.
    var lastTime: UInt64
    /// The oldest chunk: its first and last offset and newest time;
    /// `firstOffset` is 0 when no line is stored.
    var firstOffset: UInt64
    var oldestChunkLastOffset: UInt64
    var oldestChunkTime: UInt64
    /// The newest chunk while it may still grow (`LineChunk.growBelowBytes`):
    /// its first offset (0: none), lines and bytes.
    var tailFirstOffset: UInt64 = 0
    var tailCount = 0
    var tailBytes = 0
    /// Rows of this log in the journal (its newest lines), not yet folded.
    var journalRows = 0
    /// Lines of the open transaction in chunk layout, written at its end.
    var pending: [UInt8] = []
    /// The values before the open transaction touched the room; nil while untouched.
    var saved: Snapshot?

    struct Snapshot {
        let id: Int64
        let epoch: String
        let lastOffset: UInt64
        let lastTime: UInt64
        let firstOffset: UInt64
        let oldestChunkLastOffset: UInt64
        let oldestChunkTime: UInt64
        let tailFirstOffset: UInt64
        let tailCount: Int
        let tailBytes: Int
        let journalRows: Int
    }

    init(name: String, id: Int64, epoch: String, lastOffset: UInt64, lastTime: UInt64) {
        self.name = name
        self.id = id
        self.epoch = epoch
        self.lastOffset = lastOffset
        self.lastTime = lastTime
        firstOffset = 0
        oldestChunkLastOffset = 0
        oldestChunkTime = 0
    }

    var snapshot: Snapshot {
        Snapshot(
            id: id, epoch: epoch, lastOffset: lastOffset, lastTime: lastTime, firstOffset: firstOffset,
            oldestChunkLastOffset: oldestChunkLastOffset, oldestChunkTime: oldestChunkTime, tailFirstOffset: tailFirstOffset,
            tailCount: tailCount, tailBytes: tailBytes, journalRows: journalRows)
    }

    func restore(_ snapshot: Snapshot) {
        id = snapshot.id
        epoch = snapshot.epoch
        lastOffset = snapshot.lastOffset
        lastTime = snapshot.lastTime
        firstOffset = snapshot.firstOffset
        oldestChunkLastOffset = snapshot.oldestChunkLastOffset
        oldestChunkTime = snapshot.oldestChunkTime
        tailFirstOffset = snapshot.tailFirstOffset
        tailCount = snapshot.tailCount
        tailBytes = snapshot.tailBytes
        journalRows = snapshot.journalRows
        dropPending()
    }

    /// Forgets the open transaction's lines (and their buffer: rooms are many).
    func dropPending() {
        pending = []
    }

    /// No chunk on disk.
    func forgetChunks() {
        firstOffset = 0
        oldestChunkLastOffset = 0
        oldestChunkTime = 0
        tailFirstOffset = 0
        tailCount = 0
        tailBytes = 0
    }
}
