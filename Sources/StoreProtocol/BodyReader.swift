/// Reads one frame body's fields in order; a shortfall becomes a
/// `StoreProtocolError.malformed` naming the field.
struct BodyReader {
    let type: UInt8
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(type: UInt8, bytes: UnsafeRawBufferPointer) {
        self.type = type
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    /// The bytes not read yet.
    var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset...]) }

    // Field names are autoclosures: built only for the error, never on the
    // hot path (an interpolated name would be a heap String per field read).
    mutating func integer<Value: FixedWidthInteger>(
        _ field: @autoclosure () -> String, as _: Value.Type = Value.self
    ) throws(StoreProtocolError) -> Value {
        let size = MemoryLayout<Value>.size
        guard bytes.count - offset >= size else { throw .malformed(type: type, reason: "body ends inside \(field())") }
        let value = Value(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Value.self))
        offset += size
        return value
    }

    mutating func raw(_ count: Int, _ field: @autoclosure () -> String) throws(StoreProtocolError) -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - offset >= count else {
            throw .malformed(type: type, reason: "body ends inside \(field())")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    /// A `str` field's bytes, checked to be UTF-8.
    mutating func stringBytes(_ field: String) throws(StoreProtocolError) -> UnsafeRawBufferPointer {
        let count = Int(try integer("\(field) length", as: UInt16.self))
        let utf8 = try raw(count, field)
        // Names and epochs are mostly ASCII: checked without making a String.
        guard
            utf8.allSatisfy({ $0 < 0x80 })
                || utf8.withMemoryRebound(to: UInt8.self, { String(validating: $0, as: UTF8.self) }) != nil
        else {
            throw .malformed(type: type, reason: "invalid UTF-8 in \(field)")
        }
        return utf8
    }

    mutating func string(_ field: String) throws(StoreProtocolError) -> String {
        String(decoding: try stringBytes(field), as: UTF8.self)
    }

    /// A line: `u64 offset, u64 time, u16 nameLength, u32 textLength, name, text`.
    mutating func line() throws(StoreProtocolError) -> StoredLineView {
        let start = offset
        let lineOffset: UInt64 = try integer("line offset")
        let time: UInt64 = try integer("line time")
        let nameLength = Int(try integer("line name length", as: UInt16.self))
        let textLength = Int(try integer("line text length", as: UInt32.self))
        let name = try raw(nameLength, "line name")
        let text = try raw(textLength, "line text")
        return StoredLineView(
            offset: lineOffset, time: time, name: name, text: text,
            wire: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
    }

    func expectEnd() throws(StoreProtocolError) {
        guard isAtEnd else { throw .malformed(type: type, reason: "\(bytes.count - offset) bytes after the body") }
    }
}
