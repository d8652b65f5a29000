import Testing
import WebSocket

@Suite struct FrameParserTests {
    static func server() -> WebSocketStateMachine {
        WebSocketStateMachine(role: .server)
    }

    /// RFC 6455 §5.7: masked "Hello".
    static let maskedHello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]

    @Test func maskedTextFrameIsDelivered() {
        var machine = Self.server()
        #expect(machine.wsReceive(Self.maskedHello) == [.message(.text, wsBytes("Hello"))])
        #expect(machine.state == .open)
    }

    @Test func maskedTextFrameSplitAnywhereIsDeliveredOnce() {
        let outcomes = wsOutcomesOverAllSplits(Self.maskedHello, makeMachine: Self.server)
        #expect(outcomes == [[.message(.text, wsBytes("Hello"))]])
    }

    @Test func sixteenBitLengthFrameSplitAnywhereIsDeliveredOnce() {
        let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        let frame = wsClientFrame(.binary, payload)
        #expect(Array(frame[1...3]) == [0xFE, 0x01, 0x2C])
        #expect(wsOutcomesOverAllSplits(frame, makeMachine: Self.server) == [[.message(.binary, payload)]])
    }

    @Test func sixtyFourBitLengthFrameSplitAnywhereIsDeliveredOnce() {
        // A non-minimal 64-bit length for a short payload is accepted, and keeps the
        // every-offset test cheap.
        let payload = wsBytes("sixty-four")
        var frame: [UInt8] = [0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0, UInt8(payload.count), 0x11, 0x22, 0x33, 0x44]
        frame += payload
        frame.withUnsafeMutableBytes {
            WebSocketFrame.applyMask(0x1122_3344, to: UnsafeMutableRawBufferPointer(rebasing: $0[14...]))
        }
        #expect(wsOutcomesOverAllSplits(frame, makeMachine: Self.server) == [[.message(.binary, payload)]])
    }

    @Test func largeSixtyFourBitLengthFrameIsDeliveredAcrossReads() {
        let payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = wsClientFrame(.binary, payload)
        #expect(Array(frame[1...9]) == [0xFF, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70])
        let cuts =
            Array(0...20) + [frame.count - 3, frame.count - 1] + Array(stride(from: 101, to: frame.count, by: 4099))
        for cut in cuts {
            var machine = Self.server()
            #expect(machine.wsReceive(frame, splitAt: [cut]) == [.message(.binary, payload)])
        }
        var machine = Self.server()
        let reads = Array(stride(from: 7, to: frame.count, by: 1500))
        #expect(machine.wsReceive(frame, splitAt: reads) == [.message(.binary, payload)])
    }

    @Test func severalFramesInOneReadAreAllDelivered() {
        let input = wsClientFrame(.text, wsBytes("one")) + wsClientFrame(.binary, [1, 2]) + wsClientFrame(.text, [])
        var machine = Self.server()
        #expect(
            machine.wsReceive(input) == [
                .message(.text, wsBytes("one")), .message(.binary, [1, 2]), .message(.text, []),
            ])
    }

    @Test func pingIsAnsweredWithPongCarryingTheSamePayload() {
        var machine = Self.server()
        let actions = machine.wsReceive(wsClientFrame(.ping, wsBytes("Hello")))
        #expect(actions == [.send([0x8A, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])])
    }

    @Test func emptyPingIsAnsweredWithEmptyPong() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.ping, [])) == [.send([0x8A, 0x00])])
    }

    @Test func pongIsReportedAndNotAnswered() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.pong, wsBytes("x"))) == [.pongReceived])
    }

    @Test func closureVariantReportsTheSameActions() {
        var machine = Self.server()
        var actions: [WebSocketAction] = []
        let input = wsClientFrame(.ping, [9]) + Self.maskedHello
        input.withUnsafeBytes { machine.receive($0) { actions.append($0) } }
        #expect(actions == [.send([0x8A, 0x01, 0x09]), .message(.text, wsBytes("Hello"))])
    }

    @Test func randomizedMessagesSurviveRandomReadBoundaries() {
        var random = WSTestRandom(state: 7)
        var input: [UInt8] = []
        var expected: [WebSocketAction] = []
        for _ in 0..<40 {
            let length = [0, 1, 125, 126, 127, 1000, 65535, 65536].randomElement(using: &random)!
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            input += wsClientFrame(.binary, payload, key: UInt32.random(in: 0...UInt32.max, using: &random))
            expected.append(.message(.binary, payload))
        }
        var cuts: [Int] = []
        var position = 0
        while true {
            position += Int.random(in: 1...9000, using: &random)
            guard position < input.count else { break }
            cuts.append(position)
        }
        var machine = Self.server()
        #expect(machine.wsReceive(input, splitAt: cuts) == expected)
    }
}
