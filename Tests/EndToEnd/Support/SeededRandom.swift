/// A seeded generator (SplitMix64) for the hostile-input tests: the same seed
/// throws the same bytes at the gateways on every run, so a failure repeats.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` uniformly random bytes, eight per draw.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// A fresh four-byte masking key (RFC 6455 §5.3).
    mutating func maskingKey() -> [UInt8] {
        bytes(4)
    }
}
