import Testing
import WebSocket

/// `maxFirstMessageSize`: the first data message (a chat join) has a smaller
/// limit than later ones, and the machine leaves the refusal to its caller.
@Suite struct FirstMessageLimitTests {
    static func server() -> WebSocketStateMachine {
        WebSocketStateMachine(role: .server, maxMessageSize: 64, maxFirstMessageSize: 8)
    }

    static let first = wsBytes("12345678")
    static let later = [UInt8](repeating: UInt8(ascii: "x"), count: 64)

    @Test func aFirstMessageOfExactlyItsLimitIsDeliveredAndLaterOnesMayBeLarger() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.text, Self.first)) == [.message(.text, Self.first)])
        #expect(machine.wsReceive(wsClientFrame(.text, Self.later)) == [.message(.text, Self.later)])
        #expect(machine.error == nil && machine.canSendData)
    }

    @Test func aFirstMessageOverItsLimitFailsWith1009AndLeavesTheCloseFrameToTheCaller() {
        var machine = Self.server()
        let frame = wsClientFrame(.text, wsBytes("123456789"))
        // Refused at the header, before any of the payload is held.
        #expect(machine.wsReceive(Array(frame.prefix(6))) == [.closeConnection])
        #expect(machine.error == .firstMessageTooBig(limit: 8))
        #expect(machine.error?.closeCode == 1009)
        #expect(machine.error?.reason == "first message larger than 8 bytes")
        #expect(machine.state == .closed && !machine.canSendData)
        #expect(machine.wsReceive(Array(frame.dropFirst(6)) + wsClientFrame(.text, wsBytes("a"))) == [])
    }

    @Test func aFragmentedFirstMessageIsLimitedAsAWhole() {
        var fits = Self.server()
        let halves =
            wsClientFrame(.text, wsBytes("1234"), fin: false) + wsClientFrame(.ping, wsBytes("p"))
            + wsClientFrame(.continuation, wsBytes("5678"))
        #expect(fits.wsReceive(halves) == [.send(wsServerFrame(.pong, wsBytes("p"))), .message(.text, Self.first)])
        var over = Self.server()
        let tooMuch = wsClientFrame(.text, wsBytes("1234"), fin: false) + wsClientFrame(.continuation, wsBytes("56789"))
        #expect(over.wsReceive(tooMuch) == [.closeConnection])
        #expect(over.error == .firstMessageTooBig(limit: 8))
    }

    @Test func aBinaryFirstMessageHasTheSameLimit() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.binary, [UInt8](repeating: 1, count: 9))) == [.closeConnection])
        #expect(machine.error == .firstMessageTooBig(limit: 8))
    }

    @Test func controlFramesAreNotTheFirstMessage() {
        var machine = Self.server()
        let input =
            wsClientFrame(.ping, wsBytes("hi")) + wsClientFrame(.pong, []) + wsClientFrame(.text, wsBytes("123456789"))
        #expect(machine.wsReceive(input) == [.send(wsServerFrame(.pong, wsBytes("hi"))), .pongReceived, .closeConnection])
        #expect(machine.error == .firstMessageTooBig(limit: 8))
    }

    /// The caller handles the first message after `receive` returns; frames in
    /// the same read must already be held to the later limit.
    @Test func framesInTheSameReadAsTheFirstMessageHaveTheLaterLimitHoweverSplit() {
        let input = wsClientFrame(.text, Self.first) + wsClientFrame(.text, Self.later)
        let outcomes = wsOutcomesOverAllSplits(input, makeMachine: { Self.server() })
        #expect(outcomes == [[.message(.text, Self.first), .message(.text, Self.later)]])
    }

    @Test func aLaterMessageOverTheLimitIsMessageTooBigWithTheMachinesCloseFrame() {
        var machine = Self.server()
        _ = machine.wsReceive(wsClientFrame(.text, Self.first))
        #expect(machine.wsReceive(wsClientFrame(.text, Self.later + [0x78])) == wsFailure(1009))
        #expect(machine.error == .messageTooBig)
    }

    @Test func withoutAFirstMessageLimitAnOversizedFirstMessageIsMessageTooBig() {
        var machine = WebSocketStateMachine(role: .server, maxMessageSize: 8)
        #expect(machine.maxFirstMessageSize == nil)
        #expect(machine.wsReceive(wsClientFrame(.text, wsBytes("123456789"))) == wsFailure(1009))
        #expect(machine.error == .messageTooBig)
    }

    @Test func aFirstMessageLimitEqualToTheMessageLimitStillLeavesTheRefusalToTheCaller() {
        var machine = WebSocketStateMachine(role: .server, maxMessageSize: 8, maxFirstMessageSize: 8)
        #expect(machine.wsReceive(wsClientFrame(.text, wsBytes("123456789"))) == [.closeConnection])
        #expect(machine.error == .firstMessageTooBig(limit: 8))
    }

    @Test func afterTheMachineClosedTheCallerMayStillEncodeItsRefusal() {
        var machine = Self.server()
        _ = machine.wsReceive(wsClientFrame(.text, wsBytes("123456789")))
        let refusal = machine.encodeFrame(opcode: .close, payload: WebSocketFrame.closePayload(code: 1009, reason: "too big"))
        #expect(refusal == wsServerFrame(.close, [0x03, 0xF1] + wsBytes("too big")))
    }
}
