import Testing

@testable import Redis

/// Each bound is enforced from the header that would exceed it, before the
/// payload arrives, and the verdict is the same for every split.
@Suite("RESPDecoder limits")
struct RESPDecoderLimitTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static let tight = RESPDecoderLimits(
        maxBulkLength: 16, maxAggregateCount: 4, maxDepth: 2, maxLineLength: 8, maxBufferedBytes: 40)

    /// Decodes `text` whole and at every split, checks all agree, and returns the outcome.
    private func outcome(_ text: String, limits: RESPDecoderLimits = tight) -> RESPDecoder.FuzzOutcome {
        let bytes = b(text)
        let whole = RESPDecoder.decode(bytes, chunks: [], limits: limits, attributes: .attach)
        for chunk in 1...max(1, bytes.count) {
            let split = RESPDecoder.decode(bytes, chunks: [chunk], limits: limits, attributes: .attach)
            #expect(split == whole, "chunks of \(chunk) in \(text.debugDescription)")
        }
        return whole
    }

    /// The error of `text` when only its first `prefix` bytes are there.
    private func errorFromPrefix(_ text: String, _ prefix: Int, limits: RESPDecoderLimits = tight) -> RESPProtocolError? {
        var decoder = RESPDecoder(limits: limits)
        decoder.feed(Array(b(text).prefix(prefix)))
        do {
            while try decoder.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    @Test func bulkAtTheLimitPassesAndOneMoreIsRefusedFromItsHeader() {
        #expect(outcome("$16\r\n0123456789abcdef\r\n").error == nil)
        #expect(outcome("$17\r\n0123456789abcdefg\r\n").error == .bulkTooLong(length: 17, max: 16))
        #expect(errorFromPrefix("$17\r\n", 5) == .bulkTooLong(length: 17, max: 16))
        #expect(outcome("!17\r\n").error == .bulkTooLong(length: 17, max: 16))
        #expect(outcome("=99999999\r\n").error == .bulkTooLong(length: 99_999_999, max: 16))
    }

    @Test func aggregateCountAtTheLimitPassesAndOneMoreIsRefused() {
        #expect(outcome("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n").error == nil)
        #expect(outcome("*5\r\n").error == .aggregateTooLarge(count: 5, max: 4))
        #expect(outcome("~5\r\n").error == .aggregateTooLarge(count: 5, max: 4))
        #expect(outcome(">5\r\n").error == .aggregateTooLarge(count: 5, max: 4))
        // Maps and attributes count pairs.
        #expect(outcome("%4\r\n:1\r\n:1\r\n:2\r\n:2\r\n:3\r\n:3\r\n:4\r\n:4\r\n").error == nil)
        #expect(outcome("%5\r\n").error == .aggregateTooLarge(count: 5, max: 4))
        #expect(outcome("|5\r\n").error == .aggregateTooLarge(count: 5, max: 4))
    }

    @Test func nestingAtTheLimitPassesAndOneDeeperIsRefused() {
        #expect(outcome("*1\r\n*1\r\n:1\r\n").values == [.array([.array([.integer(1)])])])
        #expect(outcome("*1\r\n*1\r\n*0\r\n").error == .nestingTooDeep(max: 2))
        #expect(outcome("*1\r\n%1\r\n~0\r\n").error == .nestingTooDeep(max: 2))
        let flat = RESPDecoderLimits(maxDepth: 0)
        #expect(outcome("*-1\r\n:1\r\n", limits: flat).values == [.nullArray, .integer(1)])
        #expect(outcome("*0\r\n", limits: flat).error == .nestingTooDeep(max: 0))
    }

    @Test func lineAtTheLimitPassesAndALongerOneIsRefusedBeforeItsEnd() {
        #expect(outcome("+12345678\r\n").values == [.simpleString(b("12345678"))])
        #expect(outcome("+123456789\r\n").error == .lineTooLong(max: 8))
        #expect(errorFromPrefix("+123456789", 10) == .lineTooLong(max: 8))
        // A CR at the end may still start the CRLF: not too long yet.
        #expect(errorFromPrefix("+12345678\r", 10) == nil)
        #expect(outcome(":123456789\r\n").error == .lineTooLong(max: 8))
        #expect(outcome("$123456789\r\n").error == .lineTooLong(max: 8))
    }

    @Test func replyOverTheBufferedLimitIsRefusedAtTheHeaderThatCrossesIt() {
        // 4 + 21 = 25 bytes: fits in 40.
        #expect(outcome("*1\r\n$14\r\n0123456789abcd\r\n").error == nil)
        // The second bulk's header announces 4 + 21 + 5 + 16 = 46 > 40 bytes.
        let text = "*2\r\n$14\r\n0123456789abcd\r\n$14\r\n0123456789abcd\r\n"
        #expect(outcome(text).error == .bufferedBytesExceeded(max: 40))
        #expect(errorFromPrefix(text, 30) == .bufferedBytesExceeded(max: 40))
        // Each reply is counted on its own: many small replies never add up.
        #expect(outcome(String(repeating: "$14\r\n0123456789abcd\r\n", count: 10)).values.count == 10)
    }

    @Test func defaultLimitsAreGenerousButFinite() {
        let limits = RESPDecoderLimits()
        #expect(limits.maxBulkLength == 64 << 20)
        #expect(limits.maxAggregateCount == 1 << 20)
        #expect(limits.maxDepth == 32)
        #expect(limits.maxLineLength == 64 << 10)
        #expect(limits.maxBufferedBytes >= limits.maxBulkLength + 1024)
    }

    @Test func limitErrorsNameTheirBound() {
        #expect(
            RESPProtocolError.bulkTooLong(length: 17, max: 16).description == "RESP bulk of 17 bytes exceeds the maximum of 16")
        #expect(
            RESPProtocolError.aggregateTooLarge(count: 5, max: 4).description
                == "RESP aggregate of 5 elements exceeds the maximum of 4")
        #expect(RESPProtocolError.nestingTooDeep(max: 2).description == "RESP aggregates nested deeper than 2 levels")
        #expect(RESPProtocolError.lineTooLong(max: 8).description == "RESP line longer than 8 bytes")
        #expect(
            RESPProtocolError.bufferedBytesExceeded(max: 40).description
                == "RESP reply larger than the maximum of 40 buffered bytes")
    }
}
