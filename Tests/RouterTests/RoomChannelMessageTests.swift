import Redis
import Testing

@testable import RouterCore

/// The room channel's publishes and the stream's batches, in the format the
/// turn script writes (`RedisScripts.turn`, its `event` function): decoded
/// without copying, and refused, never trapping, when damaged.
@Suite struct RoomChannelMessageTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `M<offset> <time> <nameLength> <textLength> <name><text>`, as the script builds it.
    private static func line(_ offset: UInt64, _ time: UInt64, _ name: String, _ text: String) -> String {
        "M\(offset) \(time) \(name.utf8.count) \(text.utf8.count) \(name)\(text)"
    }

    private static func text(_ payload: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: payload[range], as: UTF8.self)
    }

    @Test func aPublishIsItsEpochThenItsLinesAndPresenceInOrder() throws {
        let payload = Self.bytes(
            "9f2c4e1a\n" + Self.line(41, 1_700_000_000_123, "Mina", "hi there") + "J1700000000124 2 Bo"
                + Self.line(42, 1_700_000_000_125, "Bo", "") + "L1700000000126 4 Mina")
        let message = try #require(RoomChannelMessage(payload))
        #expect(message.epochString == "9f2c4e1a")
        #expect(message.events.count == 4)
        guard case .message(let offset, let time, let name, let text) = message.events[0] else {
            Issue.record("first event: \(message.events[0])")
            return
        }
        #expect(offset == 41 && time == 1_700_000_000_123)
        #expect(Self.text(payload, name) == "Mina" && Self.text(payload, text) == "hi there")
        guard case .presence(let kind, let joinTime, let joiner) = message.events[1] else {
            Issue.record("second event: \(message.events[1])")
            return
        }
        #expect(kind == UInt8(ascii: "J") && joinTime == 1_700_000_000_124 && Self.text(payload, joiner) == "Bo")
        guard case .message(let second, _, let secondName, let empty) = message.events[2] else {
            Issue.record("third event: \(message.events[2])")
            return
        }
        #expect(second == 42 && Self.text(payload, secondName) == "Bo" && empty.isEmpty)
        guard case .presence(let leave, _, let leaver) = message.events[3] else {
            Issue.record("fourth event: \(message.events[3])")
            return
        }
        #expect(leave == UInt8(ascii: "L") && Self.text(payload, leaver) == "Mina")
    }

    @Test func lengthsAreBytesSoTextMayHoldSpacesDigitsAndMultibyteCharacters() throws {
        let name = "Zoë"
        let text = "12 34 M5 6 7 ✓"
        let payload = Self.bytes("e\n" + Self.line(7, 1, name, text))
        let message = try #require(RoomChannelMessage(payload))
        guard case .message(7, 1, let decodedName, let decodedText) = message.events.first else {
            Issue.record("\(message.events)")
            return
        }
        #expect(Self.text(payload, decodedName) == name && Self.text(payload, decodedText) == text)
    }

    @Test func damagedPublishesAreRefused() {
        let damaged = [
            "no newline at all",
            "e\nX1 2 3",  // an unknown event kind
            "e\nM1 2 4 2 Mina",  // text shorter than its length
            "e\nM1 2 99 0 Mina",  // name shorter than its length
            "e\nM1 2 4",  // fields missing
            "e\nM1 2x 4 2 Minahi",  // a digit that is not one
            "e\nM 2 4 2 Minahi",  // an empty number
            "e\nM1 2 4 2",  // the number runs to the end, no space
            "e\nJ1 3 Bo",  // presence name shorter than its length
            "e\nM1234567890123456789 2 4 2 Minahi",  // 19 digits
        ]
        for text in damaged {
            #expect(RoomChannelMessage(Self.bytes(text)) == nil, "\(text.debugDescription) was taken")
        }
    }

    @Test func hugeLengthsInADamagedPayloadAreRefusedWithoutOverflow() {
        // Lengths that would overflow an Int when added: refused, not trapped.
        let payload = Self.bytes("e\nM1 2 999999999999999999 999999999999999999 x")
        #expect(RoomChannelMessage(payload) == nil)
        #expect(RoomChannelMessage.events(in: Self.bytes("L1 999999999999999999 x"), from: 0) == nil)
    }

    @Test func anEmptyEventListIsAPublishWithNothingInIt() throws {
        let message = try #require(RoomChannelMessage(Self.bytes("epoch\n")))
        #expect(message.epochString == "epoch" && message.events.isEmpty)
    }

    @Test func streamEntriesGiveTheirBatchesLinesInOrderAndSkipWhatIsNotOurs() {
        func entry(_ id: String, _ fields: [String]) -> RESPValue {
            .array([.bulkString(Self.bytes(id)), .array(fields.map { .bulkString(Self.bytes($0)) })])
        }
        let reply = RESPValue.array([
            entry("5-0", ["t", "1700000000000", "b", Self.line(5, 10, "Mina", "one") + Self.line(6, 11, "Bo", "two")]),
            // Another writer's entry, a damaged batch and a malformed entry are skipped.
            entry("7-0", ["x", "y"]),
            entry("8-0", ["t", "1", "b", "M8 1 4"]),
            .bulkString(Self.bytes("not an entry")),
            entry("9-0", ["t", "1700000000001", "b", Self.line(9, 12, "Cy", "three")]),
        ])
        let lines = StreamLine.lines(of: reply)
        #expect(lines.map(\.offset) == [5, 6, 9])
        #expect(lines.map(\.time) == [10, 11, 12])
        #expect(lines.map { String(decoding: $0.name, as: UTF8.self) } == ["Mina", "Bo", "Cy"])
        #expect(lines.map { String(decoding: $0.text, as: UTF8.self) } == ["one", "two", "three"])
        #expect(StreamLine.lines(of: .nullArray).isEmpty)
    }
}
