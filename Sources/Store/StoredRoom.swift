/// The store's view of one room log, kept in memory beside its row so a
/// batch needs no query per line: the epoch, the last offset, and which
/// lines are on disk (for retention).
final class StoredRoom {
    let name: String
    var id: Int64
    var epoch: String
    var lastOffset: UInt64
    /// Time of the last line or mark, ms since the Unix epoch.
    var lastTime: UInt64
    /// Lowest offset stored; 0 when no line is.
    var firstOffset: UInt64
    /// Time of the line at `firstOffset`.
    var oldestTime: UInt64
    /// The values before the open transaction touched the room; nil while untouched.
    var saved: Snapshot?

    struct Snapshot {
        let id: Int64
        let epoch: String
        let lastOffset: UInt64
        let lastTime: UInt64
        let firstOffset: UInt64
        let oldestTime: UInt64
    }

    init(
        name: String, id: Int64, epoch: String, lastOffset: UInt64, lastTime: UInt64, firstOffset: UInt64 = 0,
        oldestTime: UInt64 = 0
    ) {
        self.name = name
        self.id = id
        self.epoch = epoch
        self.lastOffset = lastOffset
        self.lastTime = lastTime
        self.firstOffset = firstOffset
        self.oldestTime = oldestTime
    }

    var snapshot: Snapshot {
        Snapshot(
            id: id, epoch: epoch, lastOffset: lastOffset, lastTime: lastTime, firstOffset: firstOffset, oldestTime: oldestTime)
    }

    func restore(_ snapshot: Snapshot) {
        id = snapshot.id
        epoch = snapshot.epoch
        lastOffset = snapshot.lastOffset
        lastTime = snapshot.lastTime
        firstOffset = snapshot.firstOffset
        oldestTime = snapshot.oldestTime
    }
}
