import CSQLite
import StoreProtocol

/// The bytes of one row of `chunks`: consecutive lines of one room, oldest
/// first, each in the store protocol's line layout (`u64 offset, u64 time,
/// u16 nameLength, u32 textLength, name, text`, big-endian), so a load
/// copies them into LINES frames as they are.
///
/// Readers never trust a blob: `lineStarts(of:…)` checks that it is whole
/// lines with rising offsets that agree with the row's columns, and a blob
/// that does not is reported as a corrupt database.
enum LineChunk {
    /// Most lines per chunk: bounds what retention keeps beyond
    /// `-history-size` (a chunk goes only once all its lines may).
    static let maxLines = 256
    /// Most bytes per chunk a commit starts (a longer line gets a chunk of its own).
    static let maxBytes = 16 << 10
    /// A room's newest chunk below this size grows by the next commit's
    /// lines instead of a new row, so a quiet room's lines share rows.
    static let growBelowBytes = 3 << 10

    /// Appends where each line of `bytes` starts to `starts`; throws a
    /// corruption error unless the bytes are `count` whole lines with rising
    /// offsets from `first` to `last`.
    static func lineStarts(
        of bytes: UnsafeRawBufferPointer, first: UInt64, last: UInt64, count: Int, room: Int64, into starts: inout [Int]
    ) throws(SQLiteError) {
        var position = 0
        var previous: UInt64 = 0
        var seen = 0
        while position < bytes.count {
            guard bytes.count - position >= StoreProtocol.lineHeaderSize else {
                throw malformed(room: room, first: first, "a line header is cut short")
            }
            let offset = integer(bytes, position, as: UInt64.self)
            guard offset > previous, offset >= first, offset <= last else {
                throw malformed(room: room, first: first, "offset \(offset) out of order or outside \(first)...\(last)")
            }
            let length =
                StoreProtocol.lineHeaderSize + Int(integer(bytes, position + 16, as: UInt16.self))
                + Int(integer(bytes, position + 18, as: UInt32.self))
            guard bytes.count - position >= length else { throw malformed(room: room, first: first, "a line is cut short") }
            starts.append(position)
            previous = offset
            position += length
            seen += 1
        }
        guard seen == count, seen > 0, integer(bytes, 0, as: UInt64.self) == first, previous == last else {
            throw malformed(room: room, first: first, "\(seen) lines, the row says \(count) from \(first) to \(last)")
        }
    }

    /// The offset of the line starting at `start` (checked by `lineStarts`).
    static func offset(_ bytes: UnsafeRawBufferPointer, at start: Int) -> UInt64 {
        integer(bytes, start, as: UInt64.self)
    }

    static func time(_ bytes: UnsafeRawBufferPointer, at start: Int) -> UInt64 {
        integer(bytes, start + 8, as: UInt64.self)
    }

    /// The name and text of the line starting at `start`.
    static func fields(
        _ bytes: UnsafeRawBufferPointer, at start: Int
    ) -> (
        name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer
    ) {
        let nameCount = Int(integer(bytes, start + 16, as: UInt16.self))
        let textCount = Int(integer(bytes, start + 18, as: UInt32.self))
        let name = start + StoreProtocol.lineHeaderSize
        return (
            UnsafeRawBufferPointer(rebasing: bytes[name..<name + nameCount]),
            UnsafeRawBufferPointer(rebasing: bytes[name + nameCount..<name + nameCount + textCount])
        )
    }

    /// Bytes of the line starting at `start`.
    static func length(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int {
        StoreProtocol.lineHeaderSize + Int(integer(bytes, start + 16, as: UInt16.self))
            + Int(integer(bytes, start + 18, as: UInt32.self))
    }

    private static func integer<Value: FixedWidthInteger>(
        _ bytes: UnsafeRawBufferPointer, _ at: Int, as: Value.Type
    ) -> Value {
        var value: Value = 0
        for index in at..<at + MemoryLayout<Value>.size { value = value << 8 | Value(bytes[index]) }
        return value
    }

    private static func malformed(room: Int64, first: UInt64, _ detail: String) -> SQLiteError {
        SQLiteError(
            code: SQLITE_CORRUPT, message: "chunk \(first) of room id \(room) is malformed: \(detail)", context: "read lines")
    }
}
