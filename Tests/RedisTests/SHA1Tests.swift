import Testing

@testable import Redis

/// The SHA-1 that names scripts matches FIPS 180-4's examples and Python's
/// hashlib at every padding boundary (Redis's own answer is checked in the
/// server tests).
@Suite("SHA1")
struct SHA1Tests {
    private func hex(_ message: [UInt8]) -> String { String(decoding: SHA1.hex(SHA1.digest(message)), as: UTF8.self) }

    @Test func standardVectorsMatch() {
        #expect(hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// Digests from `hashlib.sha1(bytes((i*7)&255 for i in range(n)))`.
    @Test(arguments: [
        (55, "aecd1643c9903b9bae8cb94f53c50f8a4e18605b"), (56, "f5d65c621c02cc8e785159feff8088e3072da1bc"),
        (63, "4952f0fe097e4d6410ae9eab4855aa836caf3bff"), (64, "1e17ae1fc093e5daca033553c97a5192ca164486"),
        (65, "ac44f5dbe3e9b5d2733fc9537fcad715c3c20bc3"), (119, "b4a4e69060d0b1e7e8ebbf7041a4211c63438b57"),
        (120, "b651390c2996406336a3f6647e4b590c18cdd6f8"),
    ])
    func paddingBoundariesMatchHashlib(_ length: Int, _ expected: String) {
        #expect(hex((0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }) == expected)
    }

    @Test func scriptIsNamedByTheHexOfItsSource() {
        let script = RedisScript(source: "return 1")
        #expect(script.sha1Hex == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
        #expect(script == RedisScript(source: Array("return 1".utf8)))
    }
}
