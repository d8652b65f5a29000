import Redis
import Testing

@testable import RouterCore

/// The room channel's publishes and the stream's batches, in the format the
/// turn script writes (`RedisScripts.turn`, its `event` function): decoded
/// without copying, and refused, never trapping, when damaged.
@Suite struct RoomChannelMessageTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `M<nameLength> <textLength> <name><text>`, as the router writes it for the script.
    private static func line(_ name: String, _ text: String) -> String {
        "M\(name.utf8.count) \(text.utf8.count) \(name)\(text)"
    }

    private static func text(_ payload: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: payload[range], as: UTF8.self)
    }

    @Test func aPublishIsItsEpochThenItsLinesAndPresenceInOrder() throws {
        let payload = Self.bytes(
            "9f2c4e1a 41 1700000000123\n" + Self.line("Mina", "hi there") + "J1700000000124 2 Bo"
                + Self.line("Bo", "") + "L1700000000126 4 Mina")
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
        if case .message(_, let secondTime, _, _) = message.events[2] { #expect(secondTime == 1_700_000_000_123) }
        guard case .presence(let leave, _, let leaver) = message.events[3] else {
            Issue.record("fourth event: \(message.events[3])")
            return
        }
        #expect(leave == UInt8(ascii: "L") && Self.text(payload, leaver) == "Mina")
    }

    @Test func lengthsAreBytesSoTextMayHoldSpacesDigitsAndMultibyteCharacters() throws {
        let name = "Zoë"
        let text = "12 34 M5 6 7 ✓"
        let payload = Self.bytes("e 7 1\n" + Self.line(name, text))
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
            "e\nM4 2 Minahi",  // no first offset and time
            "e 1\nM4 2 Minahi",  // no time
            "e 1 2x\nM4 2 Minahi",  // a header digit that is not one
            "e 1 2\nX1 2 3",  // an unknown event kind
            "e 1 2\nM4 2 Mina",  // text shorter than its length
            "e 1 2\nM99 0 Mina",  // name shorter than its length
            "e 1 2\nM4",  // fields missing
            "e 1 2\nM4x 2 Minahi",  // a digit that is not one
            "e 1 2\nM 2 Minahi",  // an empty number
            "e 1 2\nM4 2",  // the number runs to the end, no space
            "e 1 2\nJ1 3 Bo",  // presence name shorter than its length
            "e 1234567890123456789 2\nM4 2 Minahi",  // 19 digits
        ]
        for text in damaged {
            #expect(RoomChannelMessage(Self.bytes(text)) == nil, "\(text.debugDescription) was taken")
        }
    }

    @Test func hugeLengthsInADamagedPayloadAreRefusedWithoutOverflow() {
        // Lengths that would overflow an Int when added: refused, not trapped.
        let payload = Self.bytes("e 1 2\nM999999999999999999 999999999999999999 x")
        #expect(RoomChannelMessage(payload) == nil)
        #expect(
            RoomChannelMessage.events(in: Self.bytes("L1 999999999999999999 x"), from: 0, firstOffset: 1, time: 1) == nil)
    }

    @Test func anEmptyEventListIsAPublishWithNothingInIt() throws {
        let message = try #require(RoomChannelMessage(Self.bytes("epoch 0 5\n")))
        #expect(message.epochString == "epoch" && message.events.isEmpty)
        // Presence published by the lease script for a room whose state is gone.
        let reaped = try #require(RoomChannelMessage(Self.bytes(" 0 5\nL5 2 Bo")))
        #expect(reaped.epochString.isEmpty && reaped.events.count == 1)
    }

    @Test func streamEntriesGiveTheirBatchesLinesInOrderAndSkipWhatIsNotOurs() {
        func entry(_ id: String, _ fields: [String]) -> RESPValue {
            .array([.bulkString(Self.bytes(id)), .array(fields.map { .bulkString(Self.bytes($0)) })])
        }
        let reply = RESPValue.array([
            entry("5-0", ["t", "10", "m", Self.line("Mina", "one") + Self.line("Bo", "two")]),
            // Another writer's entry, a damaged batch, entries without a time
            // or with a bad ID, and a malformed entry are skipped.
            entry("7-0", ["x", "y"]),
            entry("8-0", ["t", "1", "m", "M1 4"]),
            entry("9-0", ["m", Self.line("No", "time")]),
            entry("x-0", ["t", "1", "m", Self.line("Bad", "id")]),
            .bulkString(Self.bytes("not an entry")),
            entry("10-0", ["m", Self.line("Cy", "three"), "t", "12"]),
        ])
        let lines = StreamLine.lines(of: reply)
        #expect(lines.map(\.offset) == [5, 6, 10])
        #expect(lines.map(\.time) == [10, 10, 12])
        #expect(lines.map { String(decoding: $0.name, as: UTF8.self) } == ["Mina", "Bo", "Cy"])
        #expect(lines.map { String(decoding: $0.text, as: UTF8.self) } == ["one", "two", "three"])
        #expect(StreamLine.lines(of: .nullArray).isEmpty)
    }
}
