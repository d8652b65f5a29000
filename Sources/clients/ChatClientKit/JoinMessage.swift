/// The join a client sends first: `{"name":"…","room":"…"}`.
public enum JoinMessage {
    /// The JSON text, with both strings escaped per RFC 8259 §7.
    public static func json(name: String, room: String) -> String {
        "{\"name\":\(quoted(name)),\"room\":\(quoted(room))}"
    }

    /// The join asking for the JSON format (one object per delivery).
    public static func json(name: String, room: String, format: String) -> String {
        "{\"name\":\(quoted(name)),\"room\":\(quoted(room)),\"format\":\(quoted(format))}"
    }

    /// A JSON string literal for `text`.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
