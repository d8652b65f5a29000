import Testing
import WebSocket

@Suite struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func encodesRFC4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(wsBytes(plain)) == encoded)
        }
    }

    @Test func decodesRFC4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.decode(encoded) == wsBytes(plain))
        }
    }

    @Test func randomBytesRoundTrip() {
        var random = WSTestRandom(state: 42)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.utf8.count == (length + 2) / 3 * 4)
            #expect(Base64.decode(encoded) == bytes)
        }
    }

    @Test func usesTheStandardAlphabetForHighValues() {
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: [
        "Zg=",  // length not a multiple of four
        "Zg",  // missing padding
        "Zg=a",  // data after padding
        "Z===",  // too much padding
        "====",  // only padding
        "Zg==Zg==",  // padding in the middle
        "Zh==",  // non-zero unused bits
        "Zm9=",  // non-zero unused bits with one pad
        "Zm9v\n",  // whitespace
        "Zm 9",  // whitespace inside
        "Zm9*",  // not in the alphabet
        "Zm9-",  // URL-safe alphabet is not accepted
        "Zm\u{E9}",  // non-ASCII (four bytes of UTF-8)
    ])
    func rejectsInvalidInput(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    /// RFC 6455 §1.3; the value was also checked with `sha1sum` and `base64`.
    @Test func acceptValueMatchesRFC6455Example() {
        #expect(WebSocketAccept.value(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
