/// A strict, bounded JSON reader (RFC 8259) for JOSE headers and JWT claims
/// sets: the whole input is one object, nesting and size are capped, and
/// anything the grammar does not allow is refused (no comments, no trailing
/// commas, no NaN, no leading zeros, no invalid UTF-8, no duplicate names).
struct JSONReader {
    /// Why the input was refused, with the byte offset where it went wrong.
    struct Failure: Error, Equatable, Sendable {
        let offset: Int
        let problem: String

        /// "<problem> at byte <offset>", for logs.
        var description: String { "\(problem) at byte \(offset)" }
    }

    /// The deepest nesting accepted; JWT headers and claims are flat in practice.
    static let defaultMaxDepth = 16

    private let bytes: [UInt8]
    private let maxDepth: Int
    private var index = 0

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Reads `bytes` as exactly one JSON object (surrounding whitespace allowed).
    static func readObject(
        _ bytes: [UInt8], maxBytes: Int, maxDepth: Int = defaultMaxDepth
    ) throws(Failure) -> JSONObject {
        guard bytes.count <= maxBytes else { throw Failure(offset: maxBytes, problem: "input longer than \(maxBytes) bytes") }
        var reader = JSONReader(bytes: bytes, maxDepth: maxDepth)
        reader.skipWhitespace()
        guard reader.peek == UInt8(ascii: "{") else { throw reader.failure("expected an object") }
        let object = try reader.readObject(depth: 1)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.failure("unexpected bytes after the object") }
        return object
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func failure(_ problem: String) -> Failure {
        Failure(offset: index, problem: problem)
    }

    private mutating func skipWhitespace() {
        // RFC 8259 §2: space, tab, line feed, carriage return; nothing else.
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        skipWhitespace()
        guard peek == byte else { throw failure("expected \(what)") }
        index += 1
    }

    private mutating func readValue(depth: Int) throws(Failure) -> JSONValue {
        skipWhitespace()
        guard let byte = peek else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return .object(try readObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try readArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try readNumber())
        default: throw failure("expected a value")
        }
    }

    private mutating func readObject(depth: Int) throws(Failure) -> JSONObject {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth)") }
        index += 1  // "{"
        var object: JSONObject = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return object
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let keyOffset = index
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            let value = try readValue(depth: depth)
            // RFC 7515 §5.2 step 4 and RFC 7519 §4: duplicate names must be
            // refused or the last one used; refusing leaves no ambiguity
            // between us and another reader of the same token.
            guard object.updateValue(value, forKey: key) == nil else {
                throw Failure(offset: keyOffset, problem: "duplicate name \(JSONText.quoted(key))")
            }
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return object
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func readArray(depth: Int) throws(Failure) -> [JSONValue] {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth)") }
        index += 1  // "["
        var array: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return array
        }
        while true {
            array.append(try readValue(depth: depth))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return array
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func readLiteral(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw failure("expected a value")
        }
        index += expected.count
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func readNumber() throws(Failure) -> JSONNumber {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
            if let byte = peek, isDigit(byte) { throw failure("leading zero in a number") }
        } else {
            guard skipDigits() > 0 else { throw failure("expected a digit") }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw failure("expected a digit after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        return JSONNumber(literal: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func skipDigits() -> Int {
        let start = index
        while let byte = peek, isDigit(byte) {
            index += 1
        }
        return index - start
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func readString() throws(Failure) -> String {
        let start = index
        index += 1  // opening quote
        var text: [UInt8] = []
        while true {
            guard let byte = peek else { throw failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                // RFC 8259 §8.1: JSON text exchanged between systems is UTF-8.
                guard let string = String(validating: text, as: UTF8.self) else {
                    throw Failure(offset: start, problem: "string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                try readEscape(into: &text)
            case 0..<0x20:
                // RFC 8259 §7: control characters must be escaped.
                throw failure("control character in a string")
            default:
                text.append(byte)
                index += 1
            }
        }
    }

    private mutating func readEscape(into text: inout [UInt8]) throws(Failure) {
        guard let byte = peek else { throw failure("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHexQuad())
            if (0xD800...0xDBFF).contains(scalar) {
                // RFC 8259 §7: a character outside the BMP is a UTF-16 surrogate pair.
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw failure("unpaired surrogate escape") }
                index += 2
                let low = UInt32(try readHexQuad())
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw failure("unpaired surrogate escape")
            }
            // Surrogates are excluded above, so this always succeeds.
            guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
            UTF8.encode(unicode) { text.append($0) }
        default:
            index -= 1
            throw failure("invalid escape")
        }
    }

    private mutating func readHexQuad() throws(Failure) -> UInt16 {
        guard bytes.count - index >= 4 else { throw failure("expected four hex digits") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("expected four hex digits")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}
