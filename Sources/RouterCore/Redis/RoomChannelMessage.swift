import Redis

/// One publish on a room's channel (see `RedisScripts`), decoded without
/// copying: a header `epoch first time\n`, then events — `M<nameLength>
/// <textLength> <name><text>` for a line, `J<time> <nameLength> <name>` and
/// `L…` for presence. A publish's lines are one batch: the first has offset
/// `first`, each next one the offset after, all at `time`. (The router
/// writes a line's `M…` event itself, so the script only strings them
/// together.) Names and texts are ranges into the payload.
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
        guard let space = payload.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        var index = space + 1
        guard let first = Self.number(payload, &index), let time = Self.number(payload, &index, endedBy: UInt8(ascii: "\n")),
            let events = Self.events(in: payload, from: index, firstOffset: first, time: time)
        else { return nil }
        epoch = 0..<space
        self.events = events
    }

    /// The events in `payload` from `start` to its end, lines numbered from
    /// `firstOffset` at `time`; nil if malformed.
    static func events(in payload: [UInt8], from start: Int, firstOffset: UInt64, time: UInt64) -> [Event]? {
        var events: [Event] = []
        var index = start
        var offset = firstOffset
        while index < payload.count {
            let kind = payload[index]
            index += 1
            switch kind {
            case UInt8(ascii: "M"):
                guard let nameLength = number(payload, &index), let textLength = number(payload, &index),
                    payload.count - index >= Int(nameLength) + Int(textLength)
                else { return nil }
                let nameEnd = index + Int(nameLength)
                let textEnd = nameEnd + Int(textLength)
                events.append(.message(offset: offset, time: time, name: index..<nameEnd, text: nameEnd..<textEnd))
                offset += 1
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

    /// A whole value that is a decimal number (at most 18 digits).
    static func number(_ bytes: [UInt8]) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return value
    }

    var epochString: String { String(decoding: payload[epoch], as: UTF8.self) }

    /// A decimal number ended by `end` (consumed); nil if malformed. At most
    /// 18 digits: offsets and times fit, and two lengths added as `Int` (or
    /// an offset counted up by a batch's lines) cannot overflow whatever a
    /// damaged payload says.
    static func number(_ bytes: [UInt8], _ index: inout Int, endedBy end: UInt8 = UInt8(ascii: " ")) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] != end {
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
    /// entry one batch of a room's lines: its ID `<first offset>-0`, field
    /// `t` the batch's time, field `m` its lines as channel `M` events.
    /// Entries that are not ours are skipped.
    static func lines(of reply: RESPValue) -> [StreamLine] {
        guard let entries = reply.elements else { return [] }
        var lines: [StreamLine] = []
        for entry in entries {
            guard let parts = entry.elements, parts.count == 2, let id = parts[0].bytes, let fields = parts[1].elements
            else { continue }
            var index = 0
            guard let first = RoomChannelMessage.number(id, &index, endedBy: UInt8(ascii: "-")) else { continue }
            var time: UInt64?
            var batch: [UInt8]?
            var field = 0
            while field + 1 < fields.count {
                switch fields[field].bytes {
                case [UInt8(ascii: "t")]?:
                    time = fields[field + 1].bytes.flatMap(RoomChannelMessage.number(_:))
                case [UInt8(ascii: "m")]?: batch = fields[field + 1].bytes
                default: break
                }
                field += 2
            }
            guard let time, let batch,
                let events = RoomChannelMessage.events(in: batch, from: 0, firstOffset: first, time: time)
            else { continue }
            for case .message(let offset, let time, let name, let text) in events {
                lines.append(StreamLine(offset: offset, time: time, name: Array(batch[name]), text: Array(batch[text])))
            }
        }
        return lines
    }
}
