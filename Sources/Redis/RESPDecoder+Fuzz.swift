extension RESPDecoder {
    /// What decoding a whole input produced: the values, then the error that
    /// stopped it (nil if the input simply ran out).
    struct FuzzOutcome: Equatable {
        var values: [RESPValue] = []
        var error: RESPProtocolError?
    }

    /// A libFuzzer entry point (`LLVMFuzzerTestOneInput` can call it): decodes
    /// `data` whole and in several splits, with default and with tiny limits,
    /// attributes attached and skipped. Traps if any split decodes differently
    /// from the whole, or if a decoded value does not survive an encode/decode
    /// round trip. Must never crash otherwise or hang: every loop consumes
    /// input or stops.
    public static func fuzz(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let tiny = RESPDecoderLimits(maxBulkLength: 16, maxAggregateCount: 4, maxDepth: 3, maxLineLength: 8, maxBufferedBytes: 64)
        for limits in [RESPDecoderLimits(), tiny] {
            for handling in [AttributeHandling.attach, .skip] {
                let whole = decode(bytes, chunks: [bytes.count], limits: limits, attributes: handling)
                for chunks in splitPatterns(for: bytes) {
                    let split = decode(bytes, chunks: chunks, limits: limits, attributes: handling)
                    precondition(split == whole, "decoding depends on the split: \(chunks.prefix(8)) gave \(split) not \(whole)")
                }
                for value in whole.values {
                    let again = decode(RESPEncoder.encoded(value), chunks: [], limits: RESPDecoderLimits(), attributes: handling)
                    precondition(again == FuzzOutcome(values: [value]), "round trip of \(value) gave \(again)")
                }
            }
        }
    }

    /// Feeds `bytes` in pieces of the sizes in `chunks` (repeated; empty
    /// means whole), draining after each, as a connection does.
    static func decode(
        _ bytes: [UInt8], chunks: [Int], limits: RESPDecoderLimits, attributes: AttributeHandling
    ) -> FuzzOutcome {
        var decoder = RESPDecoder(limits: limits, attributes: attributes)
        var outcome = FuzzOutcome()
        var offset = 0
        var chunkIndex = 0
        repeat {
            let size = chunks.isEmpty ? bytes.count : max(1, chunks[chunkIndex % chunks.count])
            chunkIndex += 1
            let end = min(bytes.count, offset + size)
            bytes[offset..<end].withUnsafeBytes { decoder.feed($0) }
            offset = end
            do {
                while let value = try decoder.next() { outcome.values.append(value) }
            } catch {
                outcome.error = error
                return outcome
            }
        } while offset < bytes.count
        return outcome
    }

    /// Byte by byte, pairs, and a pseudo-random pattern seeded by the input
    /// itself (so a crash reproduces from the input alone).
    private static func splitPatterns(for bytes: [UInt8]) -> [[Int]] {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        for byte in bytes.prefix(64) { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var random: [Int] = []
        for _ in 0..<16 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            random.append(Int(seed >> 60) + 1)
        }
        return [[1], [2], [3, 1, 7], random]
    }
}
