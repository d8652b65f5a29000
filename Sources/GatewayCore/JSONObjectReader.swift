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
    /// string-valued members; members of other types map to nil.
    static func readObject(_ bytes: UnsafeRawBufferPointer) -> Result<[String: String?], JoinError> {
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

    private mutating func object(depth: Int) throws(JoinError) -> [String: String?] {
        if depth > maxDepth { throw .invalidJSON("nested too deeply") }
        try expect(UInt8(ascii: "{"), "'{'")
        var members: [String: String?] = [:]
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
            if peek() == UInt8(ascii: "\"") {
                members[key] = .some(try string())
            } else {
                try skipValue(depth: depth + 1)
                members[key] = .some(nil)
            }
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

extension JoinRequest {
    /// Parses a complete join object (the WebSocket join message, or the bytes
    /// `JoinScanner` delimited on TCP). Validation against limits is separate.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<JoinRequest, JoinError> {
        switch JSONObjectReader.readObject(bytes) {
        case .failure(let error):
            return .failure(error)
        case .success(let members):
            guard let name = members["name"] else { return .failure(.missingField("name")) }
            guard let nameText = name else { return .failure(.wrongType(field: "name")) }
            guard let room = members["room"] else { return .failure(.missingField("room")) }
            guard let roomText = room else { return .failure(.wrongType(field: "room")) }
            return .success(JoinRequest(name: nameText, room: roomText))
        }
    }

    public static func parse(_ bytes: [UInt8]) -> Result<JoinRequest, JoinError> {
        bytes.withUnsafeBytes { parse($0) }
    }
}
