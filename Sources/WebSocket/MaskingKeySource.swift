/// Where a client's masking keys come from (RFC 6455 §5.3: each frame needs a fresh key
/// that the network cannot predict).
struct MaskingKeySource: Sendable {
    /// The SplitMix64 state when a seed was given, for reproducible tests; nil means
    /// the system's cryptographically secure generator.
    private var seededState: UInt64?

    init(seed: UInt64?) {
        seededState = seed
    }

    mutating func next() -> UInt32 {
        guard var state = seededState else {
            var generator = SystemRandomNumberGenerator()
            return generator.next()
        }
        // SplitMix64 (Steele, Lea, Flood 2014): cheap and well mixed; only for tests.
        state &+= 0x9E37_79B9_7F4A_7C15
        seededState = state
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        return UInt32(truncatingIfNeeded: mixed >> 32)
    }
}
