/// SHA-256 (FIPS 180-4 §6.2), streaming or one-shot, for HMAC-SHA256 join tokens.
///
/// All state is inline (the eight chaining words and one 64-byte block), so
/// hashing allocates nothing until `finalize` returns the digest.
public struct SHA256: Sendable {
    /// The size of a digest in bytes.
    public static let digestByteCount = 32
    /// The size of a message block in bytes (FIPS 180-4 §5.1.1); HMAC pads keys to it.
    public static let blockByteCount = 64

    // FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the
    // square roots of the first eight primes.
    private var state = SIMD8<UInt32>(
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// Bytes of an incomplete block waiting for more input.
    private var pending = SIMD64<UInt8>()
    private var pendingCount = 0
    /// Message length so far, in bytes (FIPS 180-4 limits it to 2^64 bits).
    private var byteCount: UInt64 = 0

    /// A hasher with nothing absorbed yet.
    public init() {}

    /// Returns the 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Absorbs `bytes`; contiguous collections (arrays, native strings' `utf8`) are read in place.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Absorbs the bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var source = buffer.baseAddress, !buffer.isEmpty else { return }
        var remaining = buffer.count
        byteCount &+= UInt64(remaining)
        if pendingCount > 0 {
            let take = min(remaining, Self.blockByteCount - pendingCount)
            withUnsafeMutableBytes(of: &pending) { block in
                (block.baseAddress! + pendingCount).copyMemory(from: source, byteCount: take)
            }
            pendingCount += take
            source += take
            remaining -= take
            guard pendingCount == Self.blockByteCount else { return }
            let block = pending
            withUnsafeBytes(of: block) { Self.compress(&state, $0.baseAddress!) }
            pendingCount = 0
        }
        // Whole blocks straight from the caller's memory, without copying.
        while remaining >= Self.blockByteCount {
            Self.compress(&state, source)
            source += Self.blockByteCount
            remaining -= Self.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: source, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Pads the message and returns its 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        let words = finalizeWords()
        return [UInt8](unsafeUninitializedCapacity: Self.digestByteCount) { out, initialized in
            for index in 0..<8 {
                let word = words[index]
                out[4 * index] = UInt8(truncatingIfNeeded: word >> 24)
                out[4 * index + 1] = UInt8(truncatingIfNeeded: word >> 16)
                out[4 * index + 2] = UInt8(truncatingIfNeeded: word >> 8)
                out[4 * index + 3] = UInt8(truncatingIfNeeded: word)
            }
            initialized = Self.digestByteCount
        }
    }

    /// Pads the message and returns the final chaining words, so HMAC can feed
    /// the inner digest to the outer hash without an array in between.
    mutating func finalizeWords() -> SIMD8<UInt32> {
        // FIPS 180-4 §5.1.1: a 1 bit, zeros up to 448 mod 512 bits, then the
        // message length in bits as a 64-bit big-endian integer.
        let bitLength = byteCount &* 8
        var block = pending
        block[pendingCount] = 0x80
        for index in (pendingCount + 1)..<Self.blockByteCount {
            block[index] = 0
        }
        if pendingCount >= 56 {
            withUnsafeBytes(of: block) { Self.compress(&state, $0.baseAddress!) }
            block = SIMD64<UInt8>()
        }
        for index in 0..<8 {
            block[56 + index] = UInt8(truncatingIfNeeded: bitLength >> UInt64(56 - 8 * index))
        }
        withUnsafeBytes(of: block) { Self.compress(&state, $0.baseAddress!) }
        pendingCount = 0
        return state
    }

    /// Absorbs a digest given as chaining words (big endian), as HMAC's outer hash does.
    mutating func update(words: SIMD8<UInt32>) {
        var bytes = SIMD32<UInt8>()
        for index in 0..<8 {
            let word = words[index]
            bytes[4 * index] = UInt8(truncatingIfNeeded: word >> 24)
            bytes[4 * index + 1] = UInt8(truncatingIfNeeded: word >> 16)
            bytes[4 * index + 2] = UInt8(truncatingIfNeeded: word >> 8)
            bytes[4 * index + 3] = UInt8(truncatingIfNeeded: word)
        }
        withUnsafeBytes(of: bytes) { update($0) }
    }

    /// The compression function (FIPS 180-4 §6.2.2) over one 64-byte block at `block`.
    private static func compress(_ state: inout SIMD8<UInt32>, _ block: UnsafeRawPointer) {
        // The message schedule lives in a stack buffer, not on the heap.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 {
                w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
            }
            // §6.2.2 step 1: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
            for t in 16..<64 {
                let w2 = w[t - 2]
                let w15 = w[t - 15]
                let sigma1 = rotateRight(w2, 17) ^ rotateRight(w2, 19) ^ (w2 &>> 10)
                let sigma0 = rotateRight(w15, 7) ^ rotateRight(w15, 18) ^ (w15 &>> 3)
                w[t] = sigma1 &+ w[t - 7] &+ sigma0 &+ w[t - 16]
            }
            var a = state[0]
            var b = state[1]
            var c = state[2]
            var d = state[3]
            var e = state[4]
            var f = state[5]
            var g = state[6]
            var h = state[7]
            roundConstants.withUnsafeBufferPointer { k in
                // Eight rounds per turn with the working variables' roles
                // rotated instead of their values moved (§6.2.2 step 3).
                for t in stride(from: 0, to: 64, by: 8) {
                    round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t])
                    round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[t + 1])
                    round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[t + 2])
                    round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[t + 3])
                    round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[t + 4])
                    round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[t + 5])
                    round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[t + 6])
                    round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[t + 7])
                }
            }
            state &+= SIMD8(a, b, c, d, e, f, g, h)
        }
    }

    /// One round: T1 = h + Σ1(e) + Ch(e,f,g) + K[t] + W[t]; d += T1; h = T1 + Σ0(a) + Maj(a,b,c).
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32,
        _ h: inout UInt32, _ constantPlusWord: UInt32
    ) {
        let bigSigma1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
        let choose = (e & f) ^ (~e & g)
        let t1 = h &+ bigSigma1 &+ choose &+ constantPlusWord
        let bigSigma0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
        let majority = (a & b) ^ (a & c) ^ (b & c)
        d = d &+ t1
        h = t1 &+ bigSigma0 &+ majority
    }

    @inline(__always)
    private static func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value &>> count) | (value &<< (32 &- count))
    }

    /// K (FIPS 180-4 §4.2.2): the first 32 bits of the fractional parts of
    /// the cube roots of the first 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
