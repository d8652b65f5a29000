/// Base64url without padding (RFC 4648 §5), as JWS compact serialization uses it
/// (RFC 7515 §2), with a strict decoder: one spelling per byte string.
public enum Base64URL {
    /// Why text is not canonical unpadded base64url.
    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// `=` at this byte offset; RFC 7515 §2 omits padding.
        case padding(offset: Int)
        /// A byte outside `A–Z a–z 0–9 - _` at this offset.
        case invalidCharacter(offset: Int)
        /// A length of 4n+1 characters, which no byte string encodes to.
        case invalidLength(Int)
        /// The last character carries non-zero bits beyond the data (RFC 4648
        /// §3.5), so another spelling of the same bytes would be accepted too.
        case nonCanonicalTrailingBits

        /// What is wrong, for logs.
        public var description: String {
            switch self {
            case .padding(let offset): return "padding '=' at byte \(offset)"
            case .invalidCharacter(let offset): return "invalid base64url character at byte \(offset)"
            case .invalidLength(let count): return "\(count) characters is not a possible base64url length"
            case .nonCanonicalTrailingBits: return "non-zero trailing bits (non-canonical base64url)"
            }
        }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes `bytes` as unpadded base64url.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encodedBytes(bytes), as: UTF8.self)
    }

    /// Encodes `bytes` as the ASCII bytes of unpadded base64url.
    public static func encodedBytes(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count * 4 + 2) / 3)
        alphabet.withUnsafeBufferPointer { table in
            var index = 0
            while index + 3 <= input.count {
                let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                output.append(table[Int(group >> 18)])
                output.append(table[Int(group >> 12 & 63)])
                output.append(table[Int(group >> 6 & 63)])
                output.append(table[Int(group & 63)])
                index += 3
            }
            // RFC 4648 §4: a final one or two bytes become two or three characters.
            switch input.count - index {
            case 1:
                let group = UInt32(input[index]) << 16
                output.append(table[Int(group >> 18)])
                output.append(table[Int(group >> 12 & 63)])
            case 2:
                let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                output.append(table[Int(group >> 18)])
                output.append(table[Int(group >> 12 & 63)])
                output.append(table[Int(group >> 6 & 63)])
            default:
                break
            }
        }
        return output
    }

    /// Decodes unpadded base64url text.
    public static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        try decode(Array(text.utf8))
    }

    /// Decodes the ASCII bytes of unpadded base64url, refusing padding, any
    /// other character and non-canonical trailing bits.
    public static func decode(_ text: some Collection<UInt8>) throws(DecodingError) -> [UInt8] {
        let input = Array(text)
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var group: UInt32 = 0
        var filled = 0
        for (offset, character) in input.enumerated() {
            guard let value = sextet(character) else {
                throw character == UInt8(ascii: "=") ? .padding(offset: offset) : .invalidCharacter(offset: offset)
            }
            group = group << 6 | UInt32(value)
            filled += 1
            if filled == 4 {
                output.append(UInt8(truncatingIfNeeded: group >> 16))
                output.append(UInt8(truncatingIfNeeded: group >> 8))
                output.append(UInt8(truncatingIfNeeded: group))
                group = 0
                filled = 0
            }
        }
        switch filled {
        case 1:
            throw .invalidLength(input.count)
        case 2:
            // 12 bits for one byte: the low 4 must be zero.
            guard group & 0xF == 0 else { throw .nonCanonicalTrailingBits }
            output.append(UInt8(truncatingIfNeeded: group >> 4))
        case 3:
            // 18 bits for two bytes: the low 2 must be zero.
            guard group & 0x3 == 0 else { throw .nonCanonicalTrailingBits }
            output.append(UInt8(truncatingIfNeeded: group >> 10))
            output.append(UInt8(truncatingIfNeeded: group >> 2))
        default:
            break
        }
        return output
    }

    @inline(__always)
    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
