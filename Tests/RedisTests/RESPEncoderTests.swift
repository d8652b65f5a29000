import Testing

@testable import Redis

/// Every RESP2 and RESP3 type encodes to exactly the bytes of the specification.
@Suite("RESPEncoder")
struct RESPEncoderTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: RESPFixtures.exact)
    func everyTypeEncodesToItsSpecifiedBytes(_ fixture: RESPFixtures.Fixture) {
        #expect(RESPEncoder.encoded(fixture.value) == fixture.bytes, "\(fixture.value)")
    }

    @Test func commandIsAnArrayOfBulkStrings() {
        var buffer: [UInt8] = []
        RESPEncoder.encodeCommand("SET", "key", Array("v\r\n".utf8), into: &buffer)
        #expect(buffer == bytes("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\nv\r\n\r\n"))
    }

    @Test func everyArgumentKindEncodesAsABulkString() {
        var buffer: [UInt8] = []
        let raw: [UInt8] = [0, 255, 13, 10]
        raw.withUnsafeBytes { pointer in
            RESPEncoder.encodeCommand(
                "ü", Substring("ab"), raw, raw[1...], pointer, 0, -1, Int64.min, Int64.max, UInt64.max, Int32(-7), UInt32(7),
                into: &buffer)
        }
        var expected = bytes("*12\r\n$2\r\nü\r\n$2\r\nab\r\n$4\r\n") + raw + bytes("\r\n$3\r\n") + raw[1...]
        expected += bytes("\r\n$4\r\n") + raw + bytes("\r\n$1\r\n0\r\n$2\r\n-1\r\n")
        expected += bytes("$20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n$20\r\n18446744073709551615\r\n")
        expected += bytes("$2\r\n-7\r\n$1\r\n7\r\n")
        #expect(buffer == expected)
    }

    @Test func emptyArgumentIsAZeroLengthBulkString() {
        var buffer: [UInt8] = []
        RESPEncoder.encodeCommand("GET", "", into: &buffer)
        #expect(buffer == bytes("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"))
    }

    @Test func argumentWriterAppendsRunTimeListsAfterAnExistingPrefix() {
        var buffer = bytes("prefix")
        RESPEncoder.encodeCommand(argumentCount: 4, into: &buffer) { writer in
            writer.append("DEL")
            writer.append(contentsOf: ["a", "b"])
            writer.append(3)
            #expect(writer.count == 4)
        }
        #expect(buffer == bytes("prefix*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n3\r\n"))
    }

    @Test func commandsAppendToTheSameBufferBackToBack() {
        var buffer: [UInt8] = []
        for index in 0..<3 { RESPEncoder.encodeCommand("INCR", "k\(index)", into: &buffer) }
        #expect(
            buffer == bytes("*2\r\n$4\r\nINCR\r\n$2\r\nk0\r\n*2\r\n$4\r\nINCR\r\n$2\r\nk1\r\n*2\r\n$4\r\nINCR\r\n$2\r\nk2\r\n"))
    }

    @Test func specialDoublesUseTheirRESP3Spellings() {
        #expect(RESPEncoder.encoded(.double(.infinity)) == bytes(",inf\r\n"))
        #expect(RESPEncoder.encoded(.double(-.infinity)) == bytes(",-inf\r\n"))
        #expect(RESPEncoder.encoded(.double(.nan)) == bytes(",nan\r\n"))
        #expect(RESPEncoder.encoded(.double(1e-5)) == bytes(",1e-05\r\n"))
        #expect(RESPEncoder.encoded(.double(-0.0)) == bytes(",-0.0\r\n"))
    }
}
