extension RESPValue: CustomStringConvertible {
    /// A compact, unambiguous rendering for logs and test failures, e.g.
    /// `[bulk "a\x00b", int 3, null]`. Bytes outside printable ASCII are escaped.
    public var description: String {
        switch self {
        case .simpleString(let bytes): return "simple \(Self.quote(bytes))"
        case .error(let bytes): return "error \(Self.quote(bytes))"
        case .integer(let value): return "int \(value)"
        case .bulkString(let bytes): return "bulk \(Self.quote(bytes))"
        case .nullBulkString: return "null-bulk"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .nullArray: return "null-array"
        case .null: return "null"
        case .boolean(let value): return value ? "true" : "false"
        case .double(let value): return "double \(value)"
        case .bigNumber(let digits): return "big \(String(decoding: digits, as: UTF8.self))"
        case .bulkError(let bytes): return "bulk-error \(Self.quote(bytes))"
        case .verbatimString(let format, let text): return "verbatim \(Self.quote(format)):\(Self.quote(text))"
        case .map(let pairs): return "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .set(let elements): return "~[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .attributed(let attributes, let value):
            return "|{" + attributes.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "} \(value)"
        case .push(let elements): return ">[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// `"text"` with `"`, `\` and non-printable bytes escaped as `\xNN`.
    static func quote(_ bytes: [UInt8]) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out + "\""
    }
}
