import Testing
import WebSocket

@Suite struct SHA1Tests {
    @Test func abcMatchesRFC3174Vector() {
        #expect(wsHex(SHA1.hash(wsBytes("abc"))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func twoBlockMessageMatchesRFC3174Vector() {
        let input = wsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        #expect(wsHex(SHA1.hash(input)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func oneMillionAsMatchesRFC3174Vector() {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(wsHex(SHA1.hash(input)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func repeatedDigitsMatchRFC3174Vector() {
        let block = "0123456701234567012345670123456701234567012345670123456701234567"
        let input = wsBytes(String(repeating: block, count: 10))
        #expect(input.count == 640)
        #expect(wsHex(SHA1.hash(input)) == "dea356a2cddd90c7a7ecedc5ebb563934f460452")
    }

    @Test func emptyInputHasTheKnownDigest() {
        #expect(wsHex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    /// Lengths around the padding boundaries (55/56 bytes fit one or need two final blocks).
    @Test(arguments: [
        (55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
        (56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"),
        (63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"),
        (64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
        (119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"),
        (120, "f34c1488385346a55709ba056ddd08280dd4c6d6"),
    ])
    func paddingBoundariesAreHandled(length: Int, digest: String) {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        #expect(wsHex(SHA1.hash(input)) == digest)
    }
}
