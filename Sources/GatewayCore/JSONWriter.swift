/// Appends JSON (RFC 8259) to byte buffers: the gateway's encoder for the
/// JSON client format. Strings are escaped so every object is valid JSON
/// whatever a line holds; it works on UTF-8 bytes, which every line and name
/// already is (the gateways check it on the way in).
enum JSONWriter {
    /// Appends `bytes` (valid UTF-8) as a JSON string with its quotes.
    ///
    /// Escaped: `"` and `\`, every control character below U+0020 (§7 requires
    /// it), DEL, and U+2028/U+2029 (valid JSON, but they end lines in
    /// JavaScript source and some log viewers). Everything else is copied as
    /// is, in runs, so plain text costs one scan and one copy.
    static func appendString(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            let escape: StaticString?
            var width = 1
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0..<0x20, 0x7F: escape = nil
            case 0xE2
            where index + 2 < count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                escape = bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                width = 3
            default:
                index += 1
                continue
            }
            if runStart < index { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
            if let escape {
                out.append(contentsOf: UnsafeRawBufferPointer(start: escape.utf8Start, count: escape.utf8CodeUnitCount))
            } else {
                appendUnicodeEscape(byte, into: &out)
            }
            index += width
            runStart = index
        }
        if runStart < count { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<count])) }
        out.append(UInt8(ascii: "\""))
    }

    static func appendString(_ string: String, into out: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(UnsafeRawBufferPointer($0), into: &out) }
    }

    /// `\u00XX` for a control character without a short escape.
    private static func appendUnicodeEscape(_ byte: UInt8, into out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        out.append(digits.utf8Start[Int(byte >> 4)])
        out.append(digits.utf8Start[Int(byte & 0xF)])
    }

    /// Appends a non-negative integer in decimal.
    static func appendInteger(_ value: UInt64, into out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits right to left into 24 bytes on the stack (u64 has at most
        // 20), then one append: the hot path formats two per message.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { raw in
            var start = raw.count
            var rest = value
            while rest > 0 {
                start -= 1
                raw[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
    }

    /// Appends bytes known to need no escaping (the fixed parts of an object).
    @inline(__always)
    static func appendRaw(_ text: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
