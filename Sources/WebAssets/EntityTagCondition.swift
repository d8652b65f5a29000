/// Evaluates an `If-None-Match` request field against a resource's current entity tag
/// (RFC 9110 §13.1.2), so a client whose cached copy is current gets 304 instead of the bytes.
enum EntityTagCondition {
    /// Whether any `If-None-Match` field value matches `etag`, the resource's opaque tag
    /// including its double quotes, such as `"3f2a9c0d1e4b5a67"`.
    ///
    /// `*` matches any current representation. Tags are compared with the weak comparison
    /// If-None-Match requires (RFC 9110 §8.8.3.2), so `W/"x"` matches `"x"`. A value that
    /// stops being a valid list (RFC 9110 §5.6.1) matches nothing from that point on, which
    /// makes the server send the full response: the safe outcome.
    static func matchesAny(_ fieldValues: [String], etag: String) -> Bool {
        let current = Array(etag.utf8)
        for value in fieldValues where matches(Array(value.utf8), current) {
            return true
        }
        return false
    }

    private static func matches(_ value: [UInt8], _ current: [UInt8]) -> Bool {
        var index = 0
        func skipSeparators() {
            while index < value.count, isSeparator(value[index]) {
                index += 1
            }
        }
        skipSeparators()
        if index < value.count, value[index] == UInt8(ascii: "*") {
            index += 1
            skipSeparators()
            return index == value.count
        }
        while index < value.count {
            // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3); "W/" is case-sensitive.
            if value.count - index >= 2, value[index] == UInt8(ascii: "W"), value[index + 1] == UInt8(ascii: "/") {
                index += 2
            }
            guard index < value.count, value[index] == UInt8(ascii: "\"") else { return false }
            let start = index
            index += 1
            while index < value.count, isTagCharacter(value[index]) {
                index += 1
            }
            guard index < value.count, value[index] == UInt8(ascii: "\"") else { return false }
            index += 1
            // A tag ends the list or is followed by whitespace or a comma.
            guard index == value.count || isSeparator(value[index]) else { return false }
            if value[start..<index].elementsEqual(current) { return true }
            skipSeparators()
        }
        return false
    }

    /// List separators and the optional whitespace around them (RFC 9110 §5.6.1, §5.6.3).
    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: ",")
    }

    /// etagc = %x21 / %x23-7E / obs-text: any visible character but the double quote.
    private static func isTagCharacter(_ byte: UInt8) -> Bool {
        byte == 0x21 || (byte >= 0x23 && byte != 0x7F)
    }
}
