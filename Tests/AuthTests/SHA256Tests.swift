import Testing

@testable import Auth

@Suite struct SHA256Tests {
    /// FIPS 180-4 examples (NIST CSRC "Example Values" and the CAVP short/long messages).
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func nistMessagesHaveTheirPublishedDigests(message: String, digest: String) {
        #expect(hex(SHA256.hash(utf8(message))) == digest)
    }

    @Test func oneMillionLetterAsHasThePublishedDigest() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func oneMillionLetterAsStreamedInUnevenChunksHasThePublishedDigest() {
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 997)
        var hasher = SHA256()
        var fed = 0
        while fed < 1_000_000 {
            let count = min(chunk.count, 1_000_000 - fed)
            hasher.update(chunk[..<count])
            fed += count
        }
        #expect(hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every way of cutting a message that spans two blocks and a padding
    /// boundary into two or three updates gives the one-shot digest.
    @Test func everySplitOfAShortMessageGivesTheOneShotDigest() {
        let message = Array((0..<130).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let expected = SHA256.hash(message)
        for first in 0...message.count {
            for second in first...message.count {
                var hasher = SHA256()
                hasher.update(message[..<first])
                hasher.update(message[first..<second])
                hasher.update(message[second...])
                #expect(hasher.finalize() == expected, "split at \(first), \(second)")
            }
        }
        var byteByByte = SHA256()
        for byte in message {
            byteByByte.update(CollectionOfOne(byte))
        }
        #expect(byteByByte.finalize() == expected)
    }

    @Test func nonContiguousInputIsHashedLikeAnArray() {
        let message = utf8("abc")
        #expect(SHA256.hash(message.lazy.map { $0 }) == SHA256.hash(message))
    }

    /// Python's hashlib on random messages of every length from 0 to 300 bytes
    /// (every padding case: 55, 56, 63, 64 mod 64 and several blocks).
    @Test func randomMessagesMatchPythonHashlib() throws {
        var generator = SplitMix64(seed: 0x5348_4132_3536)
        let messages = (0...300).map { [UInt8].random(count: $0, using: &generator) }
        let script = """
            import hashlib, sys
            for line in sys.stdin.read().split("\\n")[:-1]:
                print(hashlib.sha256(bytes.fromhex(line)).hexdigest())
            """
        let output = try Python.run(script, input: messages.map { hex($0) + "\n" }.joined())
        let expected = output.split(separator: "\n").map(String.init)
        #expect(expected.count == messages.count)
        for (message, digest) in zip(messages, expected) {
            #expect(hex(SHA256.hash(message)) == digest, "length \(message.count)")
        }
    }
}
