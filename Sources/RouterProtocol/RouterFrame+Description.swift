extension RouterFrame: CustomStringConvertible {
    /// One logfmt-friendly line for logs, e.g. `JOIN conn=3 name=Mina room=dev`.
    /// SAY and DELIVER show byte counts, never message content.
    public var description: String {
        switch self {
        case .hello(let version, let gateway):
            "HELLO version=\(version) gateway=\(Self.logValue(gateway))"
        case .welcome(let version):
            "WELCOME version=\(version)"
        case .join(let conn, let name, let room):
            "JOIN conn=\(conn) name=\(Self.logValue(name)) room=\(Self.logValue(room))"
        case .say(let conn, let text):
            "SAY conn=\(conn) bytes=\(text.count)"
        case .leave(let conn):
            "LEAVE conn=\(conn)"
        case .joined(let conn, let room):
            "JOINED conn=\(conn) room=\(room)"
        case .rejected(let conn, let reason):
            "REJECTED conn=\(conn) reason=\(Self.logValue(reason))"
        case .deliver(let room, let payload):
            "DELIVER room=\(room) bytes=\(payload.count)"
        case .ack(let count):
            "ACK count=\(count)"
        case .ready:
            "READY"
        }
    }

    /// Quotes a value the way logfmt expects when it is empty or contains
    /// spaces, `=`, quotes or control characters; plain values stay bare.
    static func logValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20
                    || $0.value == 0x7F
            }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                quoted += "\\u{\(String(scalar.value, radix: 16))}"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
