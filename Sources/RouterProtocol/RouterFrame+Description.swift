extension RouterFrame: CustomStringConvertible {
    /// One logfmt-friendly line for logs, e.g. `JOIN conn=3 name=Mina room=dev`.
    /// SAY and DELIVER show byte counts, never message content.
    public var description: String {
        switch self {
        case .hello(let version, let gateway, let instance):
            "HELLO version=\(version) gateway=\(Self.logValue(gateway)) instance=\(instance)"
        case .welcome(let version):
            "WELCOME version=\(version)"
        case .join(let conn, let name, let room, let options):
            "JOIN conn=\(conn) name=\(Self.logValue(name)) room=\(Self.logValue(room))" + Self.describe(options)
        case .say(let conn, let text):
            "SAY conn=\(conn) bytes=\(text.count)"
        case .leave(let conn):
            "LEAVE conn=\(conn)"
        case .joined(let conn, let room, let grant):
            "JOINED conn=\(conn) room=\(room) offset=\(grant.lastOffset) history_from=\(grant.historyFrom)"
                + " recovered=\(grant.recovered) epoch=\(Self.logValue(grant.epoch))"
        case .rejected(let conn, let reason):
            "REJECTED conn=\(conn) reason=\(Self.logValue(reason))"
        case .deliver(let room, let line):
            "DELIVER room=\(room) offset=\(line.offset) bytes=\(line.text.count)"
        case .ack(let count):
            "ACK count=\(count)"
        case .ready(let firstSequence):
            "READY first_sequence=\(firstSequence)"
        case .members(let conn, let names):
            "MEMBERS conn=\(conn) count=\(names.count)"
        case .presence(let room, let kind, let time, let name):
            "PRESENCE room=\(room) kind=\(kind == .join ? "join" : "leave") time=\(time) name=\(Self.logValue(name))"
        case .fetch(let conn, let after, let through, let maxBytes):
            "FETCH conn=\(conn) after=\(after) through=\(through) max_bytes=\(maxBytes)"
        case .history(let conn, let next, let done, let lines):
            "HISTORY conn=\(conn) next=\(next) done=\(done) lines=\(lines.count)"
        }
    }

    private static func describe(_ options: JoinOptions) -> String {
        var text = ""
        if let history = options.history { text += " history=\(history)" }
        if let resume = options.resume { text += " since=\(resume.since) epoch=\(logValue(resume.epoch))" }
        if options.wantsMembers { text += " members=true" }
        if options.isRejoin { text += " rejoin=true" }
        return text
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
