/// The ways a harness feeds one input to an incremental parser: whole, byte by
/// byte, in chunks of a size the input's first byte chooses, and in a
/// pseudo-random pattern seeded by the input itself, so that a finding
/// reproduces from the input alone and every read boundary gets exercised.
enum FuzzSplits {
    /// Chunk-size patterns, each repeated until the input is used up. The
    /// whole input in one piece is not among them: harnesses decode it first,
    /// as the reference the splits must agree with.
    static func patterns(for bytes: [UInt8]) -> [[Int]] {
        var state = seed(bytes)
        var random: [Int] = []
        for _ in 0..<16 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            random.append(Int(state >> 60) + 1)
        }
        return [[1], [Int(bytes.first ?? 0) % 31 + 2], random]
    }

    /// A 64-bit FNV-1a hash of the input, for choices a harness derives from it
    /// (a limit, where to interleave a call) without spending input bytes.
    static func seed(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        for byte in bytes.prefix(256) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// Calls `body` with consecutive pieces of `bytes` whose sizes cycle
    /// through `pattern` (`[]`: the whole input as one piece), until the input
    /// ends or `body` returns false. An empty input yields one empty piece.
    static func forEachChunk(
        of bytes: [UInt8], pattern: [Int], _ body: (UnsafeRawBufferPointer) -> Bool
    ) {
        bytes.withUnsafeBytes { all in
            var offset = 0
            var step = 0
            repeat {
                let size = pattern.isEmpty ? all.count : max(1, pattern[step % pattern.count])
                step += 1
                let end = min(all.count, offset + size)
                guard body(UnsafeRawBufferPointer(rebasing: all[offset..<end])) else { return }
                offset = end
            } while offset < all.count
        }
    }
}

/// Stops the fuzzer with a message when a harness invariant fails: libFuzzer
/// then saves the input as a crash. `precondition` would do the same but
/// drops its message in optimized builds.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("fuzz invariant violated: \(message())")
    }
}
