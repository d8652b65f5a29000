import Testing

@testable import Auth

@Suite struct Base64URLTests {
    /// RFC 4648 §10 test vectors, without their padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648VectorsEncodeAndDecodeWithoutPadding(plain: String, encoded: String) throws {
        #expect(Base64URL.encode(utf8(plain)) == encoded)
        #expect(try Base64URL.decode(encoded) == utf8(plain))
    }

    @Test func urlAlphabetUsesDashAndUnderscore() throws {
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
        #expect(try Base64URL.decode("-_-_") == [0xfb, 0xff, 0xbf])
    }

    /// Python's base64.urlsafe_b64encode (padding stripped) on random bytes of
    /// every length 0–100, and our decoder taking its output back.
    @Test func randomBytesMatchPythonAndRoundTrip() throws {
        var generator = SplitMix64(seed: 0x6236_3475)
        let inputs = (0...100).map { [UInt8].random(count: $0, using: &generator) }
        let script = """
            import base64, sys
            for line in sys.stdin.read().split("\\n")[:-1]:
                print(base64.urlsafe_b64encode(bytes.fromhex(line)).decode().rstrip("="))
            """
        let output = try Python.run(script, input: inputs.map { hex($0) + "\n" }.joined())
        let expected = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(expected.count == inputs.count)
        for (input, text) in zip(inputs, expected) {
            #expect(Base64URL.encode(input) == text, "length \(input.count)")
            #expect(try Base64URL.decode(text) == input, "length \(input.count)")
        }
    }

    @Test func paddingIsRefused() {
        #expect(throws: Base64URL.DecodingError.padding(offset: 2)) { try Base64URL.decode("Zg==") }
        #expect(throws: Base64URL.DecodingError.padding(offset: 3)) { try Base64URL.decode("Zm8=") }
    }

    @Test(arguments: ["Zm+v", "Zm/v", "Zm9 v", "Zm9\nv", "Zm9ü", "Zm9\0"])
    func charactersOutsideTheURLAlphabetAreRefused(text: String) {
        #expect(throws: Base64URL.DecodingError.self) { try Base64URL.decode(text) }
    }

    @Test func standardAlphabetCharactersReportTheirOffset() {
        #expect(throws: Base64URL.DecodingError.invalidCharacter(offset: 2)) { try Base64URL.decode("Zm+v") }
    }

    @Test func impossibleLengthsAreRefused() {
        #expect(throws: Base64URL.DecodingError.invalidLength(1)) { try Base64URL.decode("Z") }
        #expect(throws: Base64URL.DecodingError.invalidLength(5)) { try Base64URL.decode("Zm9vY") }
    }

    /// RFC 4648 §3.5: "Zh" and "Zg" would both decode to "f"; only the
    /// spelling with zero trailing bits is accepted.
    @Test func nonCanonicalTrailingBitsAreRefused() {
        #expect(throws: Base64URL.DecodingError.nonCanonicalTrailingBits) { try Base64URL.decode("Zh") }
        #expect(throws: Base64URL.DecodingError.nonCanonicalTrailingBits) { try Base64URL.decode("Zm9") }
        for last in Array("BCDEFGHIJKLMNOP".utf8) {
            #expect(throws: Base64URL.DecodingError.nonCanonicalTrailingBits) {
                try Base64URL.decode(utf8("Zg").dropLast() + [last])
            }
        }
        for last in Array("9-_".utf8) {
            #expect(throws: Base64URL.DecodingError.nonCanonicalTrailingBits) { try Base64URL.decode(utf8("Zm") + [last]) }
        }
    }
}
