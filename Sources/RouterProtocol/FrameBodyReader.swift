/// Reads the fields of one frame body in order, turning every shortfall into a
/// `RouterProtocolError.malformed` that names the field.
struct FrameBodyReader {
    /// Type byte of the frame, for error reports.
    let type: UInt8
    /// The body: the frame's bytes after its type byte.
    let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(type: UInt8, bytes: UnsafeRawBufferPointer) {
        self.type = type
        self.bytes = bytes
    }

    /// Reads a big-endian integer. The field's name is an autoclosure, as in
    /// the store protocol's reader: formatted only for an error.
    mutating func readInteger<Value: FixedWidthInteger>(
        _: Value.Type = Value.self, field: @autoclosure () -> String
    ) throws(RouterProtocolError) -> Value {
        let size = MemoryLayout<Value>.size
        guard bytes.count - offset >= size else {
            throw .malformed(type: type, reason: "body ends inside \(field())")
        }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: Value.self)
        offset += size
        return Value(bigEndian: value)
    }

    /// Reads a `str` field: `u16` byte count, then that many bytes of valid UTF-8.
    mutating func readString(field: String) throws(RouterProtocolError) -> String {
        let count = Int(try readInteger(UInt16.self, field: "\(field) length"))
        guard bytes.count - offset >= count else {
            throw .malformed(type: type, reason: "body ends inside \(field)")
        }
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        let string = utf8.withMemoryRebound(to: UInt8.self) {
            String(validating: $0, as: UTF8.self)
        }
        guard let string else {
            throw .malformed(type: type, reason: "invalid UTF-8 in \(field)")
        }
        return string
    }

    /// Reads `count` raw bytes.
    mutating func readBytes(_ count: Int, field: String) throws(RouterProtocolError) -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - offset >= count else {
            throw .malformed(type: type, reason: "body ends inside \(field)")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    /// True once every byte of the body has been read.
    var isAtEnd: Bool { offset == bytes.count }

    /// The bytes not read yet, without consuming them.
    var remaining: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset...]) }

    /// Reads everything left in the body (possibly nothing) as raw bytes.
    mutating func readRemainingBytes() -> [UInt8] {
        let rest = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        offset = bytes.count
        return rest
    }

    /// Checks that a fixed-layout body has no bytes left over.
    func expectEnd() throws(RouterProtocolError) {
        let trailing = bytes.count - offset
        guard trailing == 0 else {
            throw .malformed(type: type, reason: "trailing bytes after the body: \(trailing)")
        }
    }
}
