/// Hashes that are the same in every process on every machine (Swift's
/// `Hasher` is seeded per process, so it cannot place rooms on shards).
public enum StableHash {
    /// 64-bit FNV-1a (Fowler/Noll/Vo; draft-eastlake-fnv): offset basis
    /// 0xcbf29ce484222325, prime 0x100000001b3, xor then multiply per byte.
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The SplitMix64 finalizer (Steele, Lea, Flood: "Fast splittable
    /// pseudorandom number generators", 2014): spreads every input bit over
    /// the whole word, which FNV-1a alone does poorly in its high bits.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
