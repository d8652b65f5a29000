import Redis

/// One publish on a room's channel (see `RedisScripts`), decoded without
/// copying: `epoch\n`, then events — `M<offset> <time> <nameLength>
/// <textLength> <name><text>` for a line, `J<time> <nameLength> <name>` and
/// `L…` for presence. Names and texts are ranges into the payload.
struct RoomChannelMessage {
    enum Event {
        case message(offset: UInt64, time: UInt64, name: Range<Int>, text: Range<Int>)
        case presence(kind: UInt8, time: UInt64, name: Range<Int>)
    }

    let payload: [UInt8]
    let epoch: Range<Int>
    let events: [Event]

    /// Nil if the payload is not in the format (logged by the caller).
    init?(_ payload: [UInt8]) {
        self.payload = payload
        guard let newline = payload.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        epoch = 0..<newline
        var events: [Event] = []
        var index = newline + 1
        while index < payload.count {
            let kind = payload[index]
            index += 1
            switch kind {
            case UInt8(ascii: "M"):
                guard let offset = Self.number(payload, &index), let time = Self.number(payload, &index),
                    let nameLength = Self.number(payload, &index), let textLength = Self.number(payload, &index),
                    payload.count - index >= Int(nameLength) + Int(textLength)
                else { return nil }
                let nameEnd = index + Int(nameLength)
                let textEnd = nameEnd + Int(textLength)
                events.append(.message(offset: offset, time: time, name: index..<nameEnd, text: nameEnd..<textEnd))
                index = textEnd
            case UInt8(ascii: "J"), UInt8(ascii: "L"):
                guard let time = Self.number(payload, &index), let nameLength = Self.number(payload, &index),
                    payload.count - index >= Int(nameLength)
                else { return nil }
                events.append(.presence(kind: kind, time: time, name: index..<(index + Int(nameLength))))
                index += Int(nameLength)
            default:
                return nil
            }
        }
        self.events = events
    }

    var epochString: String { String(decoding: payload[epoch], as: UTF8.self) }

    /// A decimal number ended by a space (consumed); nil if malformed.
    static func number(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10, digits < 19 else { return nil }
            value = value * 10 + UInt64(digit)
            digits += 1
            index += 1
        }
        guard digits > 0, index < bytes.count else { return nil }
        index += 1
        return value
    }
}

/// One line of a room's stream, from an XRANGE reply.
struct StreamLine {
    let offset: UInt64
    let time: UInt64
    let name: [UInt8]
    let text: [UInt8]

    /// The entries of an XRANGE reply: `[[id, [field, value, …]], …]`;
    /// entries that are not lines of ours are skipped.
    static func lines(of reply: RESPValue) -> [StreamLine] {
        guard let entries = reply.elements else { return [] }
        var lines: [StreamLine] = []
        lines.reserveCapacity(entries.count)
        for entry in entries {
            guard let parts = entry.elements, parts.count == 2, let id = parts[0].bytes, let fields = parts[1].elements
            else { continue }
            guard let offset = idOffset(id) else { continue }
            var time: UInt64?
            var name: [UInt8]?
            var text: [UInt8]?
            var field = 0
            while field + 1 < fields.count {
                let value = fields[field + 1].bytes
                switch fields[field].bytes ?? [] {
                case [UInt8(ascii: "t")]: time = value.flatMap { UInt64(String(decoding: $0, as: UTF8.self)) }
                case [UInt8(ascii: "n")]: name = value
                case [UInt8(ascii: "x")]: text = value
                default: break
                }
                field += 2
            }
            guard let time, let name, let text else { continue }
            lines.append(StreamLine(offset: offset, time: time, name: name, text: text))
        }
        return lines
    }

    /// The offset of a stream ID `<offset>-0`.
    private static func idOffset(_ id: [UInt8]) -> UInt64? {
        guard let dash = id.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        return UInt64(String(decoding: id[..<dash], as: UTF8.self))
    }
}
