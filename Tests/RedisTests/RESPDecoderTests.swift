import Reactor
import Testing

@testable import Redis

/// Decoding is byte-exact for every type and does not depend on how the
/// bytes are split.
@Suite("RESPDecoder")
struct RESPDecoderTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Every value in `bytes`, fed in pieces of `chunk` bytes.
    private func decodeAll(
        _ bytes: [UInt8], chunk: Int = Int.max, attributes: RESPDecoder.AttributeHandling = .attach
    ) throws -> [RESPValue] {
        var decoder = RESPDecoder(attributes: attributes)
        var values: [RESPValue] = []
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(1, min(chunk, bytes.count)))
            decoder.feed(Array(bytes[offset..<end]))
            offset = end
            while let value = try decoder.next() { values.append(value) }
        } while offset < bytes.count
        return values
    }

    @Test(arguments: RESPFixtures.exact)
    func everyTypeDecodesFromItsSpecifiedBytes(_ fixture: RESPFixtures.Fixture) throws {
        #expect(try decodeAll(fixture.bytes) == [fixture.value])
    }

    @Test func streamOfEveryTypeDecodesAtEverySplitPoint() throws {
        let stream = RESPFixtures.stream
        let expected = RESPFixtures.exact.map(\.value)
        for split in 0...stream.count {
            var decoder = RESPDecoder()
            var values: [RESPValue] = []
            decoder.feed(Array(stream[..<split]))
            while let value = try decoder.next() { values.append(value) }
            decoder.feed(Array(stream[split...]))
            while let value = try decoder.next() { values.append(value) }
            #expect(values == expected, "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func streamOfEveryTypeDecodesByteByByte() throws {
        #expect(try decodeAll(RESPFixtures.stream, chunk: 1) == RESPFixtures.exact.map(\.value))
    }

    @Test func incompleteValueYieldsNothingUntilItsLastByte() throws {
        var decoder = RESPDecoder()
        let bytes = b("*2\r\n$5\r\nhello\r\n:7\r\n")
        for byte in bytes.dropLast() {
            decoder.feed([byte])
            #expect(try decoder.next() == nil)
        }
        decoder.feed([bytes.last!])
        #expect(try decoder.next() == .array([.bulkString(b("hello")), .integer(7)]))
        #expect(try decoder.next() == nil)
    }

    @Test func nonCanonicalButValidFormsDecode() throws {
        #expect(try decodeAll(b(":+5\r\n")) == [.integer(5)])
        #expect(try decodeAll(b("$05\r\nhello\r\n")) == [.bulkString(b("hello"))])
        #expect(try decodeAll(b(",1e3\r\n,-1.5E+2\r\n,+2\r\n")) == [.double(1000), .double(-150), .double(2)])
        #expect(try decodeAll(b(",-nan\r\n")) == [.double(.nan)])
        #expect(try decodeAll(b("(+12\r\n")) == [.bigNumber(b("+12"))])
    }

    @Test func attributesAreAttachedOrSkipped() throws {
        let bytes = b("*2\r\n|1\r\n+key-popularity\r\n:90\r\n:1\r\n:2\r\n|0\r\n|0\r\n+OK\r\n")
        #expect(
            try decodeAll(bytes) == [
                .array([
                    .attributed(
                        attributes: [RESPPair(key: .simpleString(b("key-popularity")), value: .integer(90))], value: .integer(1)),
                    .integer(2),
                ]),
                .attributed(attributes: [], value: .attributed(attributes: [], value: .simpleString(b("OK")))),
            ])
        #expect(
            try decodeAll(bytes, chunk: 1, attributes: .skip) == [.array([.integer(1), .integer(2)]), .simpleString(b("OK"))])
    }

    @Test func mapKeysMayBeAggregates() throws {
        let bytes = b("%1\r\n*1\r\n:1\r\n~1\r\n#t\r\n")
        #expect(try decodeAll(bytes, chunk: 2) == [.map([RESPPair(key: .array([.integer(1)]), value: .set([.boolean(true)]))])])
    }

    @Test func pushInterleavedWithRepliesComesOutInStreamOrder() throws {
        let bytes = b(">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$3\r\nend\r\n")
        #expect(
            try decodeAll(bytes, chunk: 3) == [.push([.bulkString(b("server-cpu-usage")), .integer(42)]), .bulkString(b("end"))])
    }

    @Test func bulkPayloadMayContainCRLFAndEveryByteValue() throws {
        let payload = (0...255).map { UInt8($0) } + b("\r\n\r\n")
        let bytes = b("$\(payload.count)\r\n") + payload + b("\r\n")
        #expect(try decodeAll(bytes, chunk: 7) == [.bulkString(payload)])
    }

    @Test func megabyteBulkFedByteByByteDecodesInLinearTime() throws {
        // A decoder that rescans its buffer on every feed does ~5e11 steps
        // here and never finishes; ours does a few per byte.
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let bytes = b("$\(payload.count)\r\n") + payload + b("\r\n")
        var decoder = RESPDecoder()
        let started = MonotonicClock.now()
        var value: RESPValue?
        bytes.withUnsafeBytes { raw in
            for index in 0..<raw.count {
                decoder.feed(UnsafeRawBufferPointer(rebasing: raw[index..<(index + 1)]))
                if let next = try? decoder.next() { value = next }
            }
        }
        #expect(value == .bulkString(payload))
        #expect(MonotonicClock.now() - started < 20_000_000_000)
    }

    @Test func megabyteLineFedByteByByteIsScannedOnce() throws {
        let limits = RESPDecoderLimits(maxLineLength: 2 << 20, maxBufferedBytes: 4 << 20)
        let text = [UInt8](repeating: UInt8(ascii: "y"), count: 1 << 20)
        let bytes = b("+") + text + b("\r\n")
        var decoder = RESPDecoder(limits: limits)
        var value: RESPValue?
        bytes.withUnsafeBytes { raw in
            for index in 0..<raw.count {
                decoder.feed(UnsafeRawBufferPointer(rebasing: raw[index..<(index + 1)]))
                if let next = try? decoder.next() { value = next }
            }
        }
        #expect(value == .simpleString(text))
    }

    @Test func largeArrayFedInTinyPiecesKeepsItsElements() throws {
        var bytes = b("*20000\r\n")
        for index in 0..<20000 { bytes += b(":\(index)\r\n") }
        let values = try decodeAll(bytes, chunk: 3)
        #expect(values == [.array((0..<20000).map { .integer(Int64($0)) })])
    }

    @Test func accessorsReadTheCommonShapes() {
        #expect(RESPValue.bulkString(b("x")).bytes == b("x"))
        #expect(RESPValue.simpleString(b("OK")).bytes == b("OK"))
        #expect(RESPValue.integer(3).integer == 3)
        #expect(RESPValue.set([.null]).elements == [.null])
        #expect(RESPValue.nullArray.isNull && RESPValue.nullBulkString.isNull && RESPValue.null.isNull)
        #expect(RESPValue.bulkError(b("E x")).errorMessage == b("E x"))
        #expect(RESPValue.integer(1).bytes == nil)
    }

    @Test func descriptionEscapesBinaryBytes() {
        #expect(
            RESPValue.array([.bulkString([0x61, 0x00, 0x22]), .integer(3), .null]).description
                == "[bulk \"a\\x00\\\"\", int 3, null]")
    }
}
