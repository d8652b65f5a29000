import Testing

@testable import Auth

@Suite struct HMACSHA256Tests {
    /// RFC 4231 §4.2–§4.8, HMAC-SHA-256 rows.
    @Test(arguments: [
        (
            1, hex(Array(repeating: 0x0b, count: 20)), hex(utf8("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            2, hex(utf8("Jefe")), hex(utf8("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            3, hex(Array(repeating: 0xaa, count: 20)), hex(Array(repeating: 0xdd, count: 50)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            4, "0102030405060708090a0b0c0d0e0f10111213141516171819", hex(Array(repeating: 0xcd, count: 50)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            6, hex(Array(repeating: 0xaa, count: 131)), hex(utf8("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            7, hex(Array(repeating: 0xaa, count: 131)),
            hex(
                utf8(
                    "This is a test using a larger than block-size key and a larger than block-size data. "
                        + "The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func rfc4231TestCasesHaveTheirPublishedMACs(testCase: Int, key: String, data: String, mac: String) {
        #expect(hex(HMACSHA256.authenticationCode(for: bytes(hex: data), key: bytes(hex: key))) == mac, "case \(testCase)")
    }

    /// RFC 4231 §4.6 publishes only the first 128 bits of test case 5.
    @Test func rfc4231TruncatedTestCaseFiveMatchesOnItsFirst128Bits() {
        let mac = HMACSHA256.authenticationCode(for: utf8("Test With Truncation"), key: [UInt8](repeating: 0x0c, count: 20))
        #expect(hex(mac.prefix(16)) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test func streamingInPiecesGivesTheOneShotMAC() {
        let key = [UInt8](repeating: 0xaa, count: 131)
        let message = utf8("This is a test using a larger than block-size key and a larger than block-size data.")
        let expected = HMACSHA256.authenticationCode(for: message, key: key)
        for split in 0...message.count {
            var mac = HMACSHA256(key: key)
            mac.update(message[..<split])
            mac.update(message[split...])
            #expect(mac.finalize() == expected, "split at \(split)")
        }
    }

    @Test func aKeyedValueCanBeCopiedForManyMessages() {
        let keyed = HMACSHA256(key: utf8("Jefe"))
        var first = keyed
        first.update(utf8("what do ya want for nothing?"))
        var second = keyed
        second.update(utf8("Hi There"))
        #expect(hex(first.finalize()) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(second.finalize() == HMACSHA256.authenticationCode(for: utf8("Hi There"), key: utf8("Jefe")))
    }

    /// Python's hmac on keys of every length around the block size (0–200
    /// bytes, so 64 exactly and longer-than-block keys) and random messages.
    @Test func randomKeysAndMessagesMatchPythonHmac() throws {
        var generator = SplitMix64(seed: 0x484d_4143)
        let cases = (0...200).map { length in
            ([UInt8].random(count: length, using: &generator), [UInt8].random(count: (length * 37) % 190, using: &generator))
        }
        let script = """
            import hashlib, hmac, sys
            for line in sys.stdin.read().split("\\n")[:-1]:
                key, message = line.split(" ")
                print(hmac.new(bytes.fromhex(key), bytes.fromhex(message), hashlib.sha256).hexdigest())
            """
        let output = try Python.run(script, input: cases.map { "\(hex($0.0)) \(hex($0.1))\n" }.joined())
        let expected = output.split(separator: "\n").map(String.init)
        #expect(expected.count == cases.count)
        for ((key, message), mac) in zip(cases, expected) {
            #expect(hex(HMACSHA256.authenticationCode(for: message, key: key)) == mac, "key length \(key.count)")
        }
    }

    @Test func constantTimeComparisonAgreesWithEquality() {
        let mac = HMACSHA256.authenticationCode(for: utf8("x"), key: utf8("k"))
        #expect(HMACSHA256.constantTimeEquals(mac, mac))
        for index in mac.indices {
            var flipped = mac
            flipped[index] ^= 0x01
            #expect(!HMACSHA256.constantTimeEquals(mac, flipped))
        }
        #expect(!HMACSHA256.constantTimeEquals(mac, mac.prefix(31)))
        #expect(HMACSHA256.constantTimeEquals([UInt8](), [UInt8]()))
    }
}
