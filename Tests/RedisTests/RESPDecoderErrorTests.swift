import Testing

@testable import Redis

/// Malformed input fails with the exact error case, as early as it can be
/// known, and the decoder stays failed.
@Suite("RESPDecoder errors")
struct RESPDecoderErrorTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func error(_ text: String) -> RESPProtocolError? {
        let bytes = b(text)
        let whole = RESPDecoder.decode(bytes, chunks: [], limits: RESPDecoderLimits(), attributes: .attach)
        let byteByByte = RESPDecoder.decode(bytes, chunks: [1], limits: RESPDecoderLimits(), attributes: .attach)
        #expect(whole == byteByByte, "\(text.debugDescription)")
        return whole.error
    }

    @Test func unknownTypeByteIsRefusedWithoutWaitingForALine() {
        #expect(error("?") == .unknownType(UInt8(ascii: "?")))
        #expect(error("\r\n") == .unknownType(13))
        #expect(error(":1\r\nPING\r\n") == .unknownType(UInt8(ascii: "P")))
    }

    @Test(arguments: [
        ":\r\n", ":12a\r\n", ":-\r\n", ": 1\r\n", ":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":1\n\r\n",
    ])
    func malformedIntegersAreRefused(_ text: String) {
        #expect(error(text) == .invalidInteger)
    }

    @Test func integerExtremesAreAccepted() {
        let outcome = RESPDecoder.decode(
            b(":-9223372036854775808\r\n:9223372036854775807\r\n"), chunks: [], limits: RESPDecoderLimits(), attributes: .attach)
        #expect(outcome.values == [.integer(.min), .integer(.max)])
    }

    @Test func malformedLengthsNameTheirType() {
        #expect(error("$-2\r\n") == .invalidLength(type: UInt8(ascii: "$")))
        #expect(error("$abc\r\n") == .invalidLength(type: UInt8(ascii: "$")))
        #expect(error("$+1\r\n") == .invalidLength(type: UInt8(ascii: "$")))
        #expect(error("$\r\n") == .invalidLength(type: UInt8(ascii: "$")))
        #expect(error("*1x\r\n") == .invalidLength(type: UInt8(ascii: "*")))
        #expect(error("$99999999999999999999\r\n") == .invalidLength(type: UInt8(ascii: "$")))
    }

    @Test func onlyRESP2TypesHaveANullLength() {
        #expect(error("!-1\r\n") == .invalidLength(type: UInt8(ascii: "!")))
        #expect(error("=-1\r\n") == .invalidLength(type: UInt8(ascii: "=")))
        #expect(error("%-1\r\n") == .invalidLength(type: UInt8(ascii: "%")))
        #expect(error("~-1\r\n") == .invalidLength(type: UInt8(ascii: "~")))
        #expect(error(">-1\r\n") == .invalidLength(type: UInt8(ascii: ">")))
        #expect(error("|-1\r\n") == .invalidLength(type: UInt8(ascii: "|")))
        #expect(error("$-1\r\n*-1\r\n") == nil)
    }

    @Test func bulkPayloadMustEndInCRLF() {
        #expect(error("$3\r\nabcXY") == .missingCRLF(type: UInt8(ascii: "$")))
        #expect(error("$3\r\nabc\n\r") == .missingCRLF(type: UInt8(ascii: "$")))
        #expect(error("!1\r\nE\r\r") == .missingCRLF(type: UInt8(ascii: "!")))
        #expect(error("$3\r\nabc\r") == nil)
    }

    @Test(arguments: [
        ",\r\n", ",1.\r\n", ",.5\r\n", ",abc\r\n", ",0x10\r\n", ",infinity\r\n", ", 1\r\n", ",1e\r\n", ",+inf\r\n", ",1..2\r\n",
    ])
    func malformedDoublesAreRefused(_ text: String) {
        #expect(error(text) == .invalidDouble)
    }

    @Test func malformedScalarsNameWhatIsWrong() {
        #expect(error("#x\r\n") == .invalidBoolean)
        #expect(error("#tt\r\n") == .invalidBoolean)
        #expect(error("#\r\n") == .invalidBoolean)
        #expect(error("(12a\r\n") == .invalidBigNumber)
        #expect(error("(\r\n") == .invalidBigNumber)
        #expect(error("(-\r\n") == .invalidBigNumber)
        #expect(error("_x\r\n") == .invalidNull)
        #expect(error("=3\r\nabc\r\n") == .invalidVerbatimFormat)
        #expect(error("=5\r\nabcde\r\n") == .invalidVerbatimFormat)
        #expect(error("+a\nb\r\n") == .invalidSimpleLine(type: UInt8(ascii: "+")))
        #expect(error("-a\rb\r\n") == .invalidSimpleLine(type: UInt8(ascii: "-")))
    }

    @Test func errorInsideAnAggregateFailsTheWholeReply() {
        #expect(error("*3\r\n:1\r\n:x\r\n:3\r\n") == .invalidInteger)
        #expect(error("%1\r\n+k\r\n#?\r\n") == .invalidBoolean)
    }

    @Test func decoderStaysFailedAndDropsLaterInput() throws {
        var decoder = RESPDecoder()
        decoder.feed(b(":1\r\n:oops\r\n:2\r\n"))
        #expect(try decoder.next() == .integer(1))
        #expect(throws: RESPProtocolError.invalidInteger) { try decoder.next() }
        decoder.feed(b("+OK\r\n"))
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.error == .invalidInteger)
        #expect(throws: RESPProtocolError.invalidInteger) { try decoder.next() }
    }

    @Test func errorDescriptionsAreReadable() {
        #expect(RESPProtocolError.unknownType(UInt8(ascii: "?")).description == "unknown RESP type byte '?'")
        #expect(RESPProtocolError.unknownType(0).description == "unknown RESP type byte 0x00")
        #expect(RESPProtocolError.invalidLength(type: UInt8(ascii: "$")).description == "invalid length for RESP type '$'")
        #expect(
            RESPProtocolError.missingCRLF(type: UInt8(ascii: "$")).description == "RESP type '$' payload not followed by CRLF")
    }
}
