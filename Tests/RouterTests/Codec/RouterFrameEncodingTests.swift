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
        let frames: [RouterFrame] = [
            .hello(version: 1, gateway: ""), .welcome(version: 1),
            .join(conn: 0, name: "", room: ""), .say(conn: 0, text: []), .leave(conn: 0),
            .joined(conn: 0, room: 0), .rejected(conn: 0, reason: ""),
            .deliver(room: 0, payload: []), .ack(count: 0), .ready,
        ]
        #expect(frames.map(\.typeCode) == Array(1...10))
    }

    @Test func encodeAppendsAfterExistingBytesWithoutTouchingThem() {
        var buffer: [UInt8] = [0xAA, 0xBB]
        RouterFrame.leave(conn: 1).encode(into: &buffer)
        RouterFrame.welcome(version: 1).encode(into: &buffer)
        #expect(buffer == [0xAA, 0xBB, 0, 0, 0, 5, 5, 0, 0, 0, 1, 0, 0, 0, 3, 2, 0, 1])
    }

    @Test func stringOfMaximumLengthIsEncodedWithFullU16Prefix() throws {
        let gateway = String(repeating: "g", count: RouterProtocol.maxStringLength)
        let bytes = RouterFrame.hello(version: 1, gateway: gateway).encoded
        #expect(Array(bytes.prefix(9)) == [0, 1, 0, 4, 1, 0, 1, 0xFF, 0xFF])
        #expect(bytes.count == 4 + 1 + 2 + 2 + 65535)
        #expect(try CodecFixtures.decodeAll(bytes) == [.hello(version: 1, gateway: gateway)])
    }

    @Test func encodingAStringLongerThanU16MaxTraps() async {
        await #expect(processExitsWith: .failure) {
            let gateway = String(repeating: "g", count: RouterProtocol.maxStringLength + 1)
            _ = RouterFrame.hello(version: 1, gateway: gateway).encoded
        }
    }

    @Test func appendDeliverWritesTheHandWrittenBytes() {
        var buffer: [UInt8] = []
        RouterFrame.appendDeliver(
            room: 0x0A0B_0C0D, name: Array("Mina".utf8), text: Array("hey".utf8), into: &buffer)
        #expect(
            buffer == [
                0, 0, 0, 14, 8, 0x0A, 0x0B, 0x0C, 0x0D,
                0x4D, 0x69, 0x6E, 0x61, 0x3A, 0x68, 0x65, 0x79, 0x0A,
            ])
    }

    @Test(arguments: [
        ("Mina", "hello"), ("Mina", ""), ("Zoë", "ça va? 日本語 😀"), ("", ""),
        ("n", String(repeating: "x", count: 70_000)),
    ])
    func appendDeliverMatchesEncodingTheComposedPayload(name: String, text: String) {
        let nameBytes = Array(name.utf8)
        let textBytes = Array(text.utf8)
        let expected = RouterFrame.deliver(
            room: 42, payload: nameBytes + [UInt8(ascii: ":")] + textBytes + [UInt8(ascii: "\n")]
        ).encoded

        var fromArrays: [UInt8] = []
        RouterFrame.appendDeliver(room: 42, name: nameBytes, text: textBytes, into: &fromArrays)
        #expect(fromArrays == expected)

        var fromPointers: [UInt8] = []
        nameBytes.withUnsafeBytes { namePointer in
            textBytes.withUnsafeBytes { textPointer in
                RouterFrame.appendDeliver(
                    room: 42, name: namePointer, text: textPointer, into: &fromPointers)
            }
        }
        #expect(fromPointers == expected)
    }

    @Test func appendDeliverAppendsAfterEarlierFrames() {
        var buffer = RouterFrame.leave(conn: 9).encoded
        RouterFrame.appendDeliver(room: 1, name: [0x61], text: [0x62], into: &buffer)
        RouterFrame.appendDeliver(room: 2, name: [0x63], text: [], into: &buffer)
        let expected = CodecFixtures.stream(of: [
            .leave(conn: 9),
            .deliver(room: 1, payload: Array("a:b\n".utf8)),
            .deliver(room: 2, payload: Array("c:\n".utf8)),
        ])
        #expect(buffer == expected)
    }
}
