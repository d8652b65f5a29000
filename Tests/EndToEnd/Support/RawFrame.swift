/// Client WebSocket frames built by hand, byte by byte, from RFC 6455 §5.2 —
/// including the ones no well-behaved encoder (ours included) would produce:
/// reserved bits, reserved opcodes, unmasked client frames, lengths with the
/// top bit set, control frames over 125 bytes, non-minimal length encodings.
enum RawFrame {
    /// How the payload length is written (RFC 6455 §5.2: 7 bits, or 126 and
    /// 16 bits, or 127 and 64 bits).
    enum LengthEncoding {
        /// The shortest form, as the RFC requires.
        case shortest
        /// 126 and a 16-bit length, whatever the length.
        case sixteenBits
        /// 127 and a 64-bit length, whatever the length.
        case sixtyFourBits
    }

    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    /// A header announcing `length` payload bytes; masked with `key` when given
    /// (client frames must be, RFC 6455 §5.1). `rsv` is RSV1–3 as three bits.
    static func header(
        opcode: UInt8, length: UInt64, fin: Bool = true, rsv: UInt8 = 0, key: [UInt8]?,
        encoding: LengthEncoding = .shortest
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 0x7) << 4 | (opcode & 0x0F)]
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        switch encoding {
        case .shortest where length <= 125:
            bytes.append(maskBit | UInt8(length))
        case .shortest where length <= 0xFFFF, .sixteenBits:
            bytes.append(maskBit | 126)
            bytes += [UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        case .shortest, .sixtyFourBits:
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        }
        if let key { bytes += key }
        return bytes
    }

    /// A whole frame: the header, then the payload masked with `key` when given.
    static func frame(
        opcode: UInt8, payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, key: [UInt8]?,
        encoding: LengthEncoding = .shortest
    ) -> [UInt8] {
        var bytes = header(opcode: opcode, length: UInt64(payload.count), fin: fin, rsv: rsv, key: key, encoding: encoding)
        bytes.reserveCapacity(bytes.count + payload.count)
        if let key {
            for (index, byte) in payload.enumerated() { bytes.append(byte ^ key[index & 3]) }
        } else {
            bytes += payload
        }
        return bytes
    }

    /// A close frame's payload: the status code, big-endian, then the reason (RFC 6455 §5.5.1).
    static func closePayload(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }

    /// The close code a server must answer a byte stream with, decided by the
    /// first frame header alone (RFC 6455 §5.1, §5.2, §5.4, §5.5): 1002 for a
    /// header no client may send, 1009 for a data frame larger than
    /// `maxMessage`; nil when the header is acceptable and what follows decides.
    static func closeCodeForFirstHeader(of bytes: [UInt8], maxMessage: Int) -> UInt16? {
        guard bytes.count >= 14 else { return nil }
        let fin = bytes[0] & 0x80 != 0
        let rsv = bytes[0] & 0x70
        let opcode = bytes[0] & 0x0F
        let masked = bytes[1] & 0x80 != 0
        var length = UInt64(bytes[1] & 0x7F)
        if length == 126 {
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
        } else if length == 127 {
            length = bytes[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
        }
        let isControl = opcode >= 0x8
        let known = [continuation, text, binary, close, ping, pong].contains(opcode)
        if rsv != 0 || !known || !masked || length >> 63 != 0 { return 1002 }
        if isControl && (!fin || length > 125) { return 1002 }
        // A continuation frame with no message in progress (the stream starts here).
        if opcode == continuation { return 1002 }
        if !isControl && length > UInt64(maxMessage) { return 1009 }
        return nil
    }
}
