import Testing
import WebSocket

@Suite struct UTF8ValidatorTests {
    static let mixed = wsBytes("aé€😀 plain ASCII run of text 💬 ünïcödé \u{10FFFF}\u{FFFD}")

    @Test func validTextOfEveryLengthIsAccepted() {
        #expect(UTF8Validator.isValid(Self.mixed))
        #expect(UTF8Validator.isValid([]))
        #expect(UTF8Validator.isValid(wsBytes("just ascii, longer than eight bytes")))
    }

    @Test func validTextSplitAtEveryOffsetIsAccepted() {
        for cut in 0...Self.mixed.count {
            var validator = UTF8Validator()
            #expect(validator.consume(Array(Self.mixed[..<cut])) == true)
            #expect(validator.consume(Array(Self.mixed[cut...])) == true)
            #expect(validator.isAtCharacterBoundary)
        }
        var validator = UTF8Validator()
        for byte in Self.mixed {
            #expect(validator.consume([byte]) == true)
        }
        #expect(validator.isAtCharacterBoundary)
    }

    @Test(
        arguments: [
            [0x80],  // stray continuation byte
            [0xBF],
            [0xC0, 0x80],  // overlong NUL
            [0xC1, 0xBF],  // overlong 2-byte
            [0xE0, 0x80, 0x80],  // overlong 3-byte
            [0xE0, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80],  // surrogate U+D800
            [0xED, 0xBF, 0xBF],  // surrogate U+DFFF
            [0xF0, 0x80, 0x80, 0x80],  // overlong 4-byte
            [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80],  // U+110000
            [0xF5, 0x80, 0x80, 0x80],
            [0xFE],
            [0xFF],
            [0xC2, 0x41],  // lead byte without continuation
            [0xE2, 0x82, 0x41],
        ] as [[UInt8]])
    func invalidSequenceIsRejected(bytes: [UInt8]) {
        #expect(!UTF8Validator.isValid(bytes))
        #expect(!UTF8Validator.isValid(wsBytes("valid prefix ") + bytes + wsBytes(" suffix")))
    }

    @Test func boundaryCodePointsAreAccepted() {
        for scalar in [0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF] {
            let text = String(Unicode.Scalar(UInt32(scalar))!)
            #expect(UTF8Validator.isValid(wsBytes(text)), "U+\(String(scalar, radix: 16))")
        }
    }

    @Test func failureIsReportedAsSoonAsTheBytesAreHopeless() {
        var validator = UTF8Validator()
        #expect(validator.consume(wsBytes("ok ")) == true)
        #expect(validator.consume([0xF0, 0x9F]) == true)  // could still become an emoji
        #expect(!validator.isAtCharacterBoundary)
        #expect(validator.consume([0x41]) == false)  // never
        #expect(validator.hasFailed)
        #expect(validator.consume(wsBytes("anything")) == false)  // stays failed
        validator.reset()
        #expect(validator.consume(wsBytes("fresh")) == true)
    }

    @Test func overlongIsRejectedOnItsSecondByte() {
        var validator = UTF8Validator()
        #expect(validator.consume([0xE0]) == true)
        #expect(validator.consume([0x9F]) == false)
    }

    @Test func incompleteSequenceIsNotABoundary() {
        var validator = UTF8Validator()
        #expect(validator.consume([0xE2, 0x82]) == true)
        #expect(!validator.isAtCharacterBoundary)
        #expect(!UTF8Validator.isValid([0xE2, 0x82]))
        #expect(validator.consume([0xAC]) == true)
        #expect(validator.isAtCharacterBoundary)
    }

    @Test func agreesWithTheStandardLibraryOnAllTwoByteInputs() {
        for first in 0...255 {
            for second in 0...255 {
                let bytes = [UInt8(first), UInt8(second)]
                let expected = String(validating: bytes, as: UTF8.self) != nil
                if UTF8Validator.isValid(bytes) != expected {
                    Issue.record("disagreement on \(bytes)")
                }
            }
        }
    }

    @Test func agreesWithTheStandardLibraryOnRandomMultiByteInputs() {
        var random = WSTestRandom(state: 99)
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF,
            0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<50_000 {
            let length = Int.random(in: 1...12, using: &random)
            let bytes = (0..<length).map { _ in interesting.randomElement(using: &random)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if UTF8Validator.isValid(bytes) != expected {
                Issue.record("disagreement on \(bytes)")
            }
        }
    }
}
