import Testing

@testable import RouterProtocol

@Suite("RouterFrame encoding")
struct RouterFrameEncodingTests {
    @Test(arguments: CodecFixtures.exactEncodings)
    func eachFrameEncodesToItsExactBytes(frame: RouterFrame, bytes: [UInt8]) {
        #expect(frame.encoded == bytes)
    }

    @Test(arguments: CodecFixtures.exactEncodings)
    func exactBytesDecodeBackToTheirFrame(frame: RouterFrame, bytes: [UInt8]) throws {
        #expect(try CodecFixtures.decodeAll(bytes) == [frame])
    }

    @Test func typeCodesMatchTheWireNumbering() {
        let line = RoomLine(offset: 0, time: 0, name: "", text: [])
        let grant = JoinGrant(lastOffset: 0, historyFrom: 0, recovered: false, epoch: "")
        let frames: [RouterFrame] = [
            .hello(version: 1, gateway: "", instance: 0), .welcome(version: 1),
            .join(conn: 0, name: "", room: "", options: .plain), .say(conn: 0, text: []), .leave(conn: 0),
            .joined(conn: 0, room: 0, grant: grant), .rejected(conn: 0, reason: ""),
            .deliver(room: 0, line: line), .ack(count: 0), .ready(firstSequence: 0),
            .members(conn: 0, names: []), .presence(room: 0, kind: .join, time: 0, name: ""),
            .fetch(conn: 0, after: 0, through: 0, maxBytes: 0), .history(conn: 0, next: 0, done: false, lines: []),
        ]
        #expect(frames.map(\.typeCode) == Array(1...14))
    }

    @Test func encodeAppendsAfterExistingBytesWithoutTouchingThem() {
        var buffer: [UInt8] = [0xAA, 0xBB]
        RouterFrame.leave(conn: 1).encode(into: &buffer)
        RouterFrame.welcome(version: 1).encode(into: &buffer)
        #expect(buffer == [0xAA, 0xBB, 0, 0, 0, 5, 5, 0, 0, 0, 1, 0, 0, 0, 3, 2, 0, 1])
    }

    @Test func stringOfMaximumLengthIsEncodedWithFullU16Prefix() throws {
        let gateway = String(repeating: "g", count: RouterProtocol.maxStringLength)
        let bytes = RouterFrame.hello(version: 1, gateway: gateway, instance: 1).encoded
        #expect(Array(bytes.prefix(9)) == [0, 1, 0, 12, 1, 0, 1, 0xFF, 0xFF])
        #expect(bytes.count == 4 + 1 + 2 + 2 + 65535 + 8)
        #expect(try CodecFixtures.decodeAll(bytes) == [.hello(version: 1, gateway: gateway, instance: 1)])
    }

    @Test func encodingAStringLongerThanU16MaxTraps() async {
        await #expect(processExitsWith: .failure) {
            let gateway = String(repeating: "g", count: RouterProtocol.maxStringLength + 1)
            _ = RouterFrame.hello(version: 1, gateway: gateway, instance: 1).encoded
        }
    }

    @Test func appendDeliverWritesTheHandWrittenBytes() {
        var buffer: [UInt8] = []
        Self.appendDeliver(room: 0x0A0B_0C0D, offset: 0x0102, time: 0x0304, name: "Mina", text: "hey", into: &buffer)
        #expect(
            buffer == [
                0, 0, 0, 32, 8, 0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x03, 0x04, 0, 4,
                0x4D, 0x69, 0x6E, 0x61, 0x3A, 0x68, 0x65, 0x79, 0x0A,
            ])
    }

    @Test(arguments: [
        ("Mina", "hello"), ("Mina", ""), ("Zoë", "ça va? 日本語 😀"), ("", ""),
        ("n", String(repeating: "x", count: 70_000)),
    ])
    func appendDeliverMatchesEncodingTheFrame(name: String, text: String) {
        let expected = RouterFrame.deliver(room: 42, line: RoomLine(offset: 7, time: 8, name: name, text: Array(text.utf8)))
            .encoded
        var composed: [UInt8] = []
        Self.appendDeliver(room: 42, offset: 7, time: 8, name: name, text: text, into: &composed)
        #expect(composed == expected)
    }

    @Test func appendDeliverAppendsAfterEarlierFrames() {
        var buffer = RouterFrame.leave(conn: 9).encoded
        Self.appendDeliver(room: 1, offset: 1, time: 5, name: "a", text: "b", into: &buffer)
        Self.appendDeliver(room: 2, offset: 2, time: 6, name: "c", text: "", into: &buffer)
        let expected = CodecFixtures.stream(of: [
            .leave(conn: 9),
            .deliver(room: 1, line: RoomLine(offset: 1, time: 5, name: "a", text: Array("b".utf8))),
            .deliver(room: 2, line: RoomLine(offset: 2, time: 6, name: "c", text: [])),
        ])
        #expect(buffer == expected)
    }

    @Test func historyBuiltInPlaceMatchesEncodingTheFrame() {
        let lines = [
            RoomLine(offset: 3, time: 30, name: "Mina", text: Array("one".utf8)),
            RoomLine(offset: 4, time: 40, name: "Bo", text: Array("two: ü".utf8)),
        ]
        var buffer: [UInt8] = [0xEE]
        let start = RouterFrame.beginHistory(conn: 5, into: &buffer)
        for line in lines {
            Array(line.name.utf8).withUnsafeBytes { name in
                line.text.withUnsafeBytes { text in
                    RouterFrame.appendHistoryLine(offset: line.offset, time: line.time, name: name, text: text, into: &buffer)
                }
            }
        }
        RouterFrame.finishHistory(start: start, next: 4, done: false, into: &buffer)
        #expect(buffer == [0xEE] + RouterFrame.history(conn: 5, next: 4, done: false, lines: lines).encoded)
    }

    private static func appendDeliver(
        room: RoomID, offset: UInt64, time: UInt64, name: String, text: String, into buffer: inout [UInt8]
    ) {
        Array(name.utf8).withUnsafeBytes { namePointer in
            Array(text.utf8).withUnsafeBytes { textPointer in
                RouterFrame.appendDeliver(
                    room: room, offset: offset, time: time, name: namePointer, text: textPointer, into: &buffer)
            }
        }
    }
}
