/// Builds one APPEND frame in place as lines come: the router's hot path,
/// one call per line with the name and text borrowed, no array per line.
///
/// Each room the batch touches is defined once (name and epoch) before its
/// first record, and later records name it by a `u16` index, so a busy room
/// costs its name once per batch rather than once per line. A room seen
/// again with another epoch (its log started anew within the batch) is
/// defined again under a new index.
public struct AppendBatchBuilder {
    /// The batch number carried in the frame.
    public let batch: UInt64
    /// The frame so far; complete only after `finish()`.
    public private(set) var bytes: [UInt8] = []
    /// Records added (lines and marks; definitions not counted).
    public private(set) var recordCount = 0
    /// Room definitions so far; at `StoreProtocol.maxRoomsPerBatch` the
    /// batch must be finished before another room is added.
    public private(set) var roomCount = 0
    private var indexes: [String: (index: UInt16, epoch: String)] = [:]
    /// The room of the previous record, so a run of lines in one room skips
    /// the dictionary.
    private var lastRoom: String?
    private var lastEpoch: String?
    private var lastIndex: UInt16 = 0
    private var start = 0

    public init(batch: UInt64, reservingCapacity capacity: Int = 4096) {
        self.batch = batch
        bytes.reserveCapacity(capacity)
        start = StoreFrame.beginFrame(.append, into: &bytes)
        bytes.appendBigEndian(batch)
    }

    /// Bytes of the frame so far.
    public var byteCount: Int { bytes.count }

    /// True when another room definition would not fit the batch.
    public var isFullOfRooms: Bool { roomCount >= StoreProtocol.maxRoomsPerBatch }

    /// Adds a line of `room` (in `epoch`) from the SAY `gateway` names.
    public mutating func appendLine(
        room: String, epoch: String, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer,
        text: UnsafeRawBufferPointer, gateway: GatewayMark
    ) {
        let index = roomIndex(room, epoch)
        bytes.append(AppendRecordKind.line.rawValue)
        bytes.appendBigEndian(index)
        bytes.appendBigEndian(gateway.instance)
        bytes.appendBigEndian(gateway.sequence)
        StoreFrame.appendLine(offset: offset, time: time, name: name, text: text, into: &bytes)
        recordCount += 1
    }

    /// Records that `room`'s log (in `epoch`) reached `lastOffset` at `time`
    /// with no line to keep.
    public mutating func appendMark(room: String, epoch: String, lastOffset: UInt64, time: UInt64) {
        let index = roomIndex(room, epoch)
        bytes.append(AppendRecordKind.mark.rawValue)
        bytes.appendBigEndian(index)
        bytes.appendBigEndian(lastOffset)
        bytes.appendBigEndian(time)
        recordCount += 1
    }

    /// Patches the length prefix; the frame is then complete in `bytes`.
    public mutating func finish() -> [UInt8] {
        StoreFrame.finishFrame(startingAt: start, in: &bytes)
        return bytes
    }

    private mutating func roomIndex(_ room: String, _ epoch: String) -> UInt16 {
        if let lastRoom, lastRoom == room, lastEpoch == epoch { return lastIndex }
        let index: UInt16
        if let known = indexes[room], known.epoch == epoch {
            index = known.index
        } else {
            precondition(!isFullOfRooms, "APPEND batch full of rooms: finish it first")
            index = UInt16(roomCount)
            roomCount += 1
            indexes[room] = (index, epoch)
            bytes.append(AppendRecordKind.room.rawValue)
            bytes.appendString(room)
            bytes.appendString(epoch)
        }
        lastRoom = room
        lastEpoch = epoch
        lastIndex = index
        return index
    }
}
