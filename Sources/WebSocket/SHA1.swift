/// SHA-1 (RFC 3174), needed only to compute `Sec-WebSocket-Accept` (RFC 6455 §4.2.2).
///
/// SHA-1 is not collision resistant; never use it for anything security related.
public enum SHA1 {
    /// The size of a digest in bytes.
    public static let digestSize = 20

    /// Returns the 20-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// Returns the 20-byte digest of the bytes in `buffer`.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var state = SHA1State()
        let fullBlocks = buffer.count / 64
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            for block in 0..<fullBlocks {
                let start = block * 64
                state.compress(UnsafeRawBufferPointer(rebasing: buffer[start..<start + 64]), schedule: schedule)
            }
            // RFC 3174 §4: append 0x80, zeros up to 56 mod 64, then the bit length as 64-bit big endian.
            var tail = Array(buffer[(fullBlocks * 64)...])
            tail.append(0x80)
            while tail.count % 64 != 56 {
                tail.append(0)
            }
            let bitLength = UInt64(buffer.count) &* 8
            for shift in stride(from: 56, through: 0, by: -8) {
                tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
            }
            tail.withUnsafeBytes { tailBytes in
                for start in stride(from: 0, to: tailBytes.count, by: 64) {
                    state.compress(UnsafeRawBufferPointer(rebasing: tailBytes[start..<start + 64]), schedule: schedule)
                }
            }
        }
        return state.digest
    }
}

/// The five-word chaining state of SHA-1 (RFC 3174 §6.1).
struct SHA1State {
    private var h0: UInt32 = 0x6745_2301
    private var h1: UInt32 = 0xEFCD_AB89
    private var h2: UInt32 = 0x98BA_DCFE
    private var h3: UInt32 = 0x1032_5476
    private var h4: UInt32 = 0xC3D2_E1F0

    /// The digest: the five words, big endian.
    var digest: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(SHA1.digestSize)
        for word in [h0, h1, h2, h3, h4] {
            out.append(UInt8(truncatingIfNeeded: word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return out
    }

    /// Processes one 64-byte block; `schedule` is caller-provided scratch space for 80 words.
    mutating func compress(_ block: UnsafeRawBufferPointer, schedule w: UnsafeMutableBufferPointer<UInt32>) {
        for t in 0..<16 {
            w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
        }
        for t in 16..<80 {
            w[t] = rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], by: 1)
        }
        var a = h0
        var b = h1
        var c = h2
        var d = h3
        var e = h4
        for t in 0..<80 {
            let f: UInt32
            let k: UInt32
            switch t {
            case 0..<20:
                f = (b & c) | (~b & d)
                k = 0x5A82_7999
            case 20..<40:
                f = b ^ c ^ d
                k = 0x6ED9_EBA1
            case 40..<60:
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1B_BCDC
            default:
                f = b ^ c ^ d
                k = 0xCA62_C1D6
            }
            let temp = rotateLeft(a, by: 5) &+ f &+ e &+ w[t] &+ k
            e = d
            d = c
            c = rotateLeft(b, by: 30)
            b = a
            a = temp
        }
        h0 = h0 &+ a
        h1 = h1 &+ b
        h2 = h2 &+ c
        h3 = h3 &+ d
        h4 = h4 &+ e
    }

    private func rotateLeft(_ value: UInt32, by count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}
