/// A decoded frame header (RFC 6455 §5.2), before any validation.
struct WebSocketFrameHeader {
    var fin: Bool
    /// RSV1–3 as the three bits below FIN.
    var reservedBits: UInt8
    var opcode: UInt8
    /// The masking key in wire order as a big-endian word, or nil if the MASK bit is clear.
    var maskingKey: UInt32?
    var length: UInt64

    /// The whole header size implied by the second header byte (MASK bit and 7-bit length).
    static func size(secondByte: UInt8) -> Int {
        let lengthSize: Int
        switch secondByte & 0x7F {
        case 126: lengthSize = 2
        case 127: lengthSize = 8
        default: lengthSize = 0
        }
        return 2 + lengthSize + (secondByte & 0x80 != 0 ? 4 : 0)
    }

    /// Decodes a header from exactly `size(secondByte:)` bytes.
    init(_ bytes: UnsafeRawBufferPointer) {
        let first = bytes[0]
        let second = bytes[1]
        fin = first & 0x80 != 0
        reservedBits = (first >> 4) & 0x7
        opcode = first & 0x0F
        var offset = 2
        switch second & 0x7F {
        case 126:
            length = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            offset += 2
        case 127:
            length = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
            offset += 8
        case let short:
            length = UInt64(short)
        }
        if second & 0x80 != 0 {
            maskingKey = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        } else {
            maskingKey = nil
        }
    }
}
