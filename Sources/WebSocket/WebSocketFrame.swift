/// Encoding of single WebSocket frames (RFC 6455 §5.2).
///
/// A masking key is given as a `UInt32` whose big-endian bytes are the four key bytes in
/// wire order: key `0x11223344` masks payload byte 0 with 0x11, byte 1 with 0x22, and so on.
public enum WebSocketFrame {
    /// The largest header: 2 bytes, an 8-byte extended length and a 4-byte masking key.
    public static let maxHeaderSize = 14

    /// The size of the header for a payload of `length` bytes (RFC 6455 §5.2: 7-bit lengths
    /// up to 125, a 16-bit length up to 65535, a 64-bit length beyond).
    public static func headerSize(length: Int, masked: Bool) -> Int {
        let lengthSize = length <= 125 ? 0 : (length <= 0xFFFF ? 2 : 8)
        return 2 + lengthSize + (masked ? 4 : 0)
    }

    /// Appends a frame header using the shortest length encoding, for callers that append
    /// the payload themselves (such as one pre-encoded frame fanned out to many members).
    /// If `maskingKey` is given, the caller must mask the payload it appends (see `applyMask`).
    public static func appendHeader(
        into buffer: inout [UInt8], opcode: WebSocketOpcode, length: Int, fin: Bool = true,
        maskingKey: UInt32? = nil
    ) {
        precondition(length >= 0, "a payload length is never negative")
        buffer.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        if length <= 125 {
            buffer.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: length >> 8))
            buffer.append(UInt8(truncatingIfNeeded: length))
        } else {
            buffer.append(maskBit | 127)
            let wide = UInt64(length)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: wide >> UInt64(shift)))
            }
        }
        if let key = maskingKey {
            buffer.append(UInt8(truncatingIfNeeded: key >> 24))
            buffer.append(UInt8(truncatingIfNeeded: key >> 16))
            buffer.append(UInt8(truncatingIfNeeded: key >> 8))
            buffer.append(UInt8(truncatingIfNeeded: key))
        }
    }

    /// Writes an unmasked frame header into `buffer` so that it ends right
    /// before index `end` (room the caller kept in front of a payload it has
    /// already written); returns the index where the header starts.
    public static func writeHeader(into buffer: inout [UInt8], endingAt end: Int, opcode: WebSocketOpcode, length: Int) -> Int {
        let size = headerSize(length: length, masked: false)
        precondition(end >= size, "no room for a \(size)-byte header")
        let start = end - size
        buffer[start] = 0x80 | opcode.rawValue
        if length <= 125 {
            buffer[start + 1] = UInt8(length)
        } else if length <= 0xFFFF {
            buffer[start + 1] = 126
            buffer[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
            buffer[start + 3] = UInt8(truncatingIfNeeded: length)
        } else {
            buffer[start + 1] = 127
            let wide = UInt64(length)
            for i in 0..<8 { buffer[start + 2 + i] = UInt8(truncatingIfNeeded: wide >> UInt64(56 - 8 * i)) }
        }
        return start
    }

    /// Returns one complete frame carrying `payload` (an array, a slice or an
    /// `UnsafeRawBufferPointer`), masked if `maskingKey` is given.
    public static func encode(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true, maskingKey: UInt32? = nil
    ) -> [UInt8] {
        let length = payload.count
        var frame: [UInt8] = []
        frame.reserveCapacity(headerSize(length: length, masked: maskingKey != nil) + length)
        appendHeader(into: &frame, opcode: opcode, length: length, fin: fin, maskingKey: maskingKey)
        let payloadStart = frame.count
        frame.append(contentsOf: payload)
        if let key = maskingKey {
            maskInPlace(&frame, from: payloadStart, key: key)
        }
        return frame
    }

    /// The payload of a close frame: the status code in network byte order, then the
    /// UTF-8 reason (RFC 6455 §5.5.1), cut at a character boundary so the whole payload
    /// fits the 125-byte limit of control frames.
    public static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(truncatingIfNeeded: code >> 8), UInt8(truncatingIfNeeded: code)]
        var reasonBytes = 0
        for scalar in reason.unicodeScalars {
            let size = UTF8.width(scalar)
            guard reasonBytes + size <= 123 else { break }
            payload.append(contentsOf: UTF8.encode(scalar)!)
            reasonBytes += size
        }
        return payload
    }

    /// XORs `buffer` with the masking key (RFC 6455 §5.3), treating its first byte as
    /// payload byte number `offset` of the frame so a payload can be (un)masked in pieces.
    /// Masking and unmasking are the same operation.
    public static func applyMask(_ key: UInt32, to buffer: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        var phase = offset & 3
        var index = 0
        // Byte by byte until the key lines up, then eight bytes at a time.
        while index < buffer.count, phase != 0 {
            buffer[index] ^= keyByte(key, phase)
            phase = (phase + 1) & 3
            index += 1
        }
        if buffer.count - index >= 8 {
            // The word whose bytes in memory are the four key bytes twice, on any byte order.
            let littleEndianKey = UInt64(key.byteSwapped)
            let wideKey = UInt64(littleEndian: littleEndianKey | littleEndianKey << 32)
            while buffer.count - index >= 8 {
                let word = buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                buffer.storeBytes(of: word ^ wideKey, toByteOffset: index, as: UInt64.self)
                index += 8
            }
        }
        while index < buffer.count {
            buffer[index] ^= keyByte(key, phase)
            phase = (phase + 1) & 3
            index += 1
        }
    }

    /// Key byte number `phase` (0–3) in wire order.
    private static func keyByte(_ key: UInt32, _ phase: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: key >> UInt32(24 - 8 * phase))
    }

    /// Masks `bytes[start...]` in place, the first byte being payload byte `offset`.
    static func maskInPlace(_ bytes: inout [UInt8], from start: Int, key: UInt32, offset: Int = 0) {
        bytes.withUnsafeMutableBytes { all in
            applyMask(key, to: UnsafeMutableRawBufferPointer(rebasing: all[start...]), offset: offset)
        }
    }
}
