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
        guard let newline = payload.firstIndex(of: UInt8(ascii: "\n")),
            let events = Self.events(in: payload, from: newline + 1)
        else { return nil }
        epoch = 0..<newline
        self.events = events
    }

    /// The events in `payload` from `start` to its end; nil if malformed.
    static func events(in payload: [UInt8], from start: Int) -> [Event]? {
        var events: [Event] = []
        var index = start
        while index < payload.count {
            let kind = payload[index]
            index += 1
            switch kind {
            case UInt8(ascii: "M"):
                guard let offset = number(payload, &index), let time = number(payload, &index),
                    let nameLength = number(payload, &index), let textLength = number(payload, &index),
                    payload.count - index >= Int(nameLength) + Int(textLength)
                else { return nil }
                let nameEnd = index + Int(nameLength)
                let textEnd = nameEnd + Int(textLength)
                events.append(.message(offset: offset, time: time, name: index..<nameEnd, text: nameEnd..<textEnd))
                index = textEnd
            case UInt8(ascii: "J"), UInt8(ascii: "L"):
                guard let time = number(payload, &index), let nameLength = number(payload, &index),
                    payload.count - index >= Int(nameLength)
                else { return nil }
                events.append(.presence(kind: kind, time: time, name: index..<(index + Int(nameLength))))
                index += Int(nameLength)
            default:
                return nil
            }
        }
        return events
    }

    var epochString: String { String(decoding: payload[epoch], as: UTF8.self) }

    /// A decimal number ended by a space (consumed); nil if malformed.
    /// At most 18 digits: offsets and times fit, and two lengths added as
    /// `Int` cannot overflow whatever a damaged payload says.
    static func number(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10, digits < 18 else { return nil }
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

    /// The lines of an XRANGE reply: `[[id, [field, value, …]], …]`, each
    /// entry's `b` field holding a batch of lines as channel `M` events.
    /// Entries that are not ours are skipped.
    static func lines(of reply: RESPValue) -> [StreamLine] {
        guard let entries = reply.elements else { return [] }
        var lines: [StreamLine] = []
        for entry in entries {
            guard let parts = entry.elements, parts.count == 2, let fields = parts[1].elements else { continue }
            var field = 0
            while field + 1 < fields.count {
                if fields[field].bytes == [UInt8(ascii: "b")], let batch = fields[field + 1].bytes,
                    let events = RoomChannelMessage.events(in: batch, from: 0)
                {
                    for case .message(let offset, let time, let name, let text) in events {
                        lines.append(StreamLine(offset: offset, time: time, name: Array(batch[name]), text: Array(batch[text])))
                    }
                }
                field += 2
            }
        }
        return lines
    }
}
