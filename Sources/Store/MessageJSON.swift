/// The JSON message object of the README's client format (RFC 8259),
/// `{"type":"message","room":…,"offset":…,"time":…,"name":…,"text":…}`,
/// with the same escaping rules: `"` and `\`, every control character
/// (RFC 8259 §7 requires those below U+0020; DEL too), and U+2028/U+2029
/// (legal JSON, but line ends in JavaScript and some viewers). Bytes that are
/// not UTF-8 (a database is outside data) become U+FFFD, one per maximal
/// ill-formed subpart (Unicode §3.9, as Python's `errors="replace"`), so the
/// output is always valid JSON.
enum MessageJSON {
    static func appendMessage(
        room: String, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer,
        into out: inout [UInt8]
    ) {
        out.append(contentsOf: #"{"type":"message","room":"#.utf8)
        var room = room
        room.withUTF8 { appendString(UnsafeRawBufferPointer($0), into: &out) }
        out.append(contentsOf: #","offset":"#.utf8)
        appendDecimal(offset, into: &out)
        out.append(contentsOf: #","time":"#.utf8)
        appendDecimal(time, into: &out)
        out.append(contentsOf: #","name":"#.utf8)
        appendString(name, into: &out)
        out.append(contentsOf: #","text":"#.utf8)
        appendString(text, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `bytes` as a JSON string, quotes included.
    static func appendString(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var index = 0
        var plainFrom = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            let length = byte < 0x80 ? 1 : validSequenceLength(bytes, at: index)
            // Valid multi-byte characters other than U+2028/U+2029 pass as they are.
            if length > 1 && !(length == 3 && byte == 0xE2 && bytes[index + 1] == 0x80 && bytes[index + 2] & 0xFE == 0xA8) {
                index += length
                continue
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[plainFrom..<index]))
            switch (length, byte) {
            case (1, UInt8(ascii: "\"")): out.append(contentsOf: #"\""#.utf8)
            case (1, UInt8(ascii: "\\")): out.append(contentsOf: #"\\"#.utf8)
            case (1, 0x0A): out.append(contentsOf: #"\n"#.utf8)
            case (1, 0x0D): out.append(contentsOf: #"\r"#.utf8)
            case (1, 0x09): out.append(contentsOf: #"\t"#.utf8)
            case (1, 0x08): out.append(contentsOf: #"\b"#.utf8)
            case (1, 0x0C): out.append(contentsOf: #"\f"#.utf8)
            case (1, _) where byte < 0x80: appendUnicodeEscape(UInt16(byte), into: &out)
            case (3, _): appendUnicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, into: &out)
            default:
                // Ill-formed: one U+FFFD for the maximal subpart.
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
            index += length > 0 ? length : ill(bytes, at: index)
            plainFrom = index
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[plainFrom..<bytes.count]))
        out.append(UInt8(ascii: "\""))
    }

    /// Length of the well-formed UTF-8 sequence at `index` (lead byte ≥ 0x80),
    /// or 0 if it is ill-formed (RFC 3629 §4, Unicode Table 3-7).
    static func validSequenceLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        let lead = bytes[index]
        let (length, low, high): (Int, UInt8, UInt8)
        switch lead {
        case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
        case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
        case 0xED: (length, low, high) = (3, 0x80, 0x9F)
        case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
        case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
        case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        let second = bytes[index + 1]
        guard second >= low && second <= high else { return 0 }
        for k in 2..<length where bytes[index + k] & 0xC0 != 0x80 { return 0 }
        return length
    }

    /// Bytes of the maximal ill-formed subpart at `index`: the lead byte and
    /// the continuation bytes that could still have been part of a valid
    /// sequence (at least 1).
    static func ill(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        let lead = bytes[index]
        let (length, low, high): (Int, UInt8, UInt8)
        switch lead {
        case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
        case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
        case 0xED: (length, low, high) = (3, 0x80, 0x9F)
        case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
        case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
        case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
        default: return 1
        }
        var taken = 1
        while taken < length && index + taken < bytes.count {
            let next = bytes[index + taken]
            let (min, max): (UInt8, UInt8) = taken == 1 ? (low, high) : (0x80, 0xBF)
            guard next >= min && next <= max else { break }
            taken += 1
        }
        return taken
    }

    private static func appendUnicodeEscape(_ value: UInt16, into out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int((value >> UInt16(shift)) & 0xF)]) }
    }

    static func appendDecimal(_ value: UInt64, into out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }
}
