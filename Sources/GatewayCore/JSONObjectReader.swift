/// A small, strict JSON reader (RFC 8259) for the join object: the join is
/// parsed once per connection, so this favours clarity and exact errors over
/// speed, and keeps JSONDecoder and Foundation off the gateway entirely.
struct JSONObjectReader {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private let maxDepth = 32

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses one JSON object (surrounding whitespace allowed) and returns its
    /// members: strings, numbers (as written), booleans and null as such,
    /// arrays and objects only as `.composite`.
    static func readObject(_ bytes: UnsafeRawBufferPointer) -> Result<[String: JSONScalar], JoinError> {
        var reader = JSONObjectReader(bytes)
        do throws(JoinError) {
            reader.skipWhitespace()
            guard reader.peek() == UInt8(ascii: "{") else {
                throw reader.index < bytes.count ? .notAnObject : .invalidJSON("empty input")
            }
            let members = try reader.object(depth: 0)
            reader.skipWhitespace()
            if reader.index != bytes.count { throw .invalidJSON("unexpected data after the object") }
            return .success(members)
        } catch {
            return .failure(error)
        }
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JoinError) {
        guard peek() == byte else { throw .invalidJSON("expected \(what) at byte \(index)") }
        index += 1
    }

    private mutating func object(depth: Int) throws(JoinError) -> [String: JSONScalar] {
        if depth > maxDepth { throw .invalidJSON("nested too deeply") }
        try expect(UInt8(ascii: "{"), "'{'")
        var members: [String: JSONScalar] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return members
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw .invalidJSON("expected a member name at byte \(index)") }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            members[key] = try value(depth: depth + 1)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return members
            default: throw .invalidJSON("expected ',' or '}' at byte \(index)")
            }
        }
    }

    private mutating func array(depth: Int) throws(JoinError) {
        if depth > maxDepth { throw .invalidJSON("nested too deeply") }
        try expect(UInt8(ascii: "["), "'['")
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try skipValue(depth: depth + 1)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw .invalidJSON("expected ',' or ']' at byte \(index)")
            }
        }
    }

    /// A member's value: scalars kept, arrays and objects checked and skipped.
    private mutating func value(depth: Int) throws(JoinError) -> JSONScalar {
        switch peek() {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case .some(let byte) where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            let start = index
            try number()
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        default:
            try skipValue(depth: depth)
            return .composite
        }
    }

    private mutating func skipValue(depth: Int) throws(JoinError) {
        switch peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"): _ = try object(depth: depth)
        case UInt8(ascii: "["): try array(depth: depth)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case .some(let byte) where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            try number()
        default: throw .invalidJSON("expected a value at byte \(index)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JoinError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw .invalidJSON("truncated literal") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] {
            throw .invalidJSON("invalid literal at byte \(index)")
        }
        index += count
    }

    private mutating func number() throws(JoinError) {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw .invalidJSON("invalid number at byte \(start)") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let byte = peek(), isDigit(byte) else { throw .invalidJSON("invalid number at byte \(start)") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek(), isDigit(byte) else { throw .invalidJSON("invalid number at byte \(start)") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A string with escapes resolved (RFC 8259 §7); raw bytes must be UTF-8.
    private mutating func string() throws(JoinError) -> String {
        try expect(UInt8(ascii: "\""), "'\"'")
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw .invalidJSON("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw .invalidJSON("string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0..<0x20:
                throw .invalidJSON("unescaped control character in string")
            default:
                out.append(byte)
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(JoinError) {
        guard let byte = peek() else { throw .invalidJSON("unterminated escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard peek() == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw .invalidJSON("unpaired surrogate")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw .invalidJSON("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .invalidJSON("unpaired surrogate")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw .invalidJSON("invalid \\u escape") }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw .invalidJSON("invalid escape at byte \(index - 1)")
        }
    }

    private mutating func hex4() throws(JoinError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .invalidJSON("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidJSON("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}

/// A member value of the join object, as far as the join cares.
enum JSONScalar: Equatable {
    case string(String)
    /// The number exactly as written (RFC 8259 §6 grammar, already checked).
    case number(String)
    case bool(Bool)
    case null
    /// An array or an object.
    case composite
}
