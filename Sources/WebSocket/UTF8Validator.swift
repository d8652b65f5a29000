/// An incremental UTF-8 validator: feed it a text message in pieces split anywhere, and it
/// reports failure as soon as the bytes so far can never be the start of valid UTF-8
/// (RFC 6455 §8.1 lets an endpoint fail the connection early).
///
/// Valid means well-formed per the Unicode Standard, Table 3-7: no overlong forms, no
/// surrogates (U+D800–U+DFFF), nothing above U+10FFFF, no stray continuation bytes.
public struct UTF8Validator: Sendable, Hashable {
    /// Continuation bytes still expected for the current character.
    private var pending: UInt8 = 0
    /// The allowed range of the next continuation byte; narrower than 0x80...0xBF only for
    /// the second byte after E0, ED, F0 and F4, which is what rules out overlongs,
    /// surrogates and code points above U+10FFFF.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private var failed = false

    /// Creates a validator at the start of a text.
    public init() {}

    /// Whether every byte so far was valid and no character is left incomplete, so the
    /// text may end here.
    public var isAtCharacterBoundary: Bool { !failed && pending == 0 }

    /// Whether invalid bytes have been seen; the validator stays failed until `reset()`.
    public var hasFailed: Bool { failed }

    /// Starts over for a new text.
    public mutating func reset() {
        self = UTF8Validator()
    }

    /// Validates the next piece of the text; returns false if the text can no longer be valid.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed else { return false }
        let count = bytes.count
        var index = 0
        while index < count {
            if pending == 0 {
                // Chat text is mostly ASCII: skip eight bytes at a time while no high bit is set.
                while count - index >= 8,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                guard index < count else { break }
                let byte = bytes[index]
                index += 1
                if !startCharacter(byte) {
                    failed = true
                    return false
                }
            } else {
                let byte = bytes[index]
                index += 1
                guard byte >= lower, byte <= upper else {
                    failed = true
                    return false
                }
                pending -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        return true
    }

    /// Validates the next piece of the text; returns false if the text can no longer be valid.
    public mutating func consume(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { consume($0) }
    }

    /// Whether `bytes` is a complete, valid UTF-8 text.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.consume(bytes) && validator.isAtCharacterBoundary
    }

    /// Whether `bytes` is a complete, valid UTF-8 text.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isValid($0) }
    }

    /// Sets up the expectations after a lead byte; false if it cannot start a character.
    private mutating func startCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x7F:
            return true
        case 0xC2...0xDF:
            expect(1, 0x80, 0xBF)
        case 0xE0:
            expect(2, 0xA0, 0xBF)  // below A0 would be an overlong 3-byte form
        case 0xE1...0xEC, 0xEE...0xEF:
            expect(2, 0x80, 0xBF)
        case 0xED:
            expect(2, 0x80, 0x9F)  // A0 and above would encode a surrogate
        case 0xF0:
            expect(3, 0x90, 0xBF)  // below 90 would be an overlong 4-byte form
        case 0xF1...0xF3:
            expect(3, 0x80, 0xBF)
        case 0xF4:
            expect(3, 0x80, 0x8F)  // 90 and above would exceed U+10FFFF
        default:
            // 80–BF cannot start a character; C0, C1 only start overlongs; F5–FF are never used.
            return false
        }
        return true
    }

    private mutating func expect(_ continuationBytes: UInt8, _ low: UInt8, _ high: UInt8) {
        pending = continuationBytes
        lower = low
        upper = high
    }
}
