import Testing
import WebSocket

@Suite struct CloseHandshakeTests {
    static func server() -> WebSocketStateMachine {
        WebSocketStateMachine(role: .server)
    }

    static func clientClose(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        wsClientFrame(.close, WebSocketFrame.closePayload(code: code, reason: reason))
    }

    @Test func closeIsAnsweredEchoingTheCode() {
        var machine = Self.server()
        #expect(
            machine.wsReceive(Self.clientClose(1000, "bye")) == [.send([0x88, 0x02, 0x03, 0xE8]), .closeConnection])
        #expect(machine.state == .closed)
        #expect(machine.peerCloseCode == 1000)
        #expect(machine.error == nil)
    }

    @Test func emptyCloseIsAnsweredWithEmptyClose() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.close, [])) == [.send([0x88, 0x00]), .closeConnection])
        #expect(machine.peerCloseCode == nil)
    }

    @Test func oneByteClosePayloadIs1002() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.close, [0x03])) == wsFailure(1002))
        #expect(machine.error == .truncatedCloseCode)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCloseCodeIs1002(code: UInt16) {
        var machine = Self.server()
        #expect(machine.wsReceive(Self.clientClose(code)) == wsFailure(1002))
        #expect(machine.error == .invalidCloseCode(code))
    }

    @Test(
        arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]
            as [UInt16])
    func validCloseCodeIsEchoed(code: UInt16) {
        var machine = Self.server()
        #expect(machine.wsReceive(Self.clientClose(code, "reason")) == [.send(wsServerClose(code)), .closeConnection])
    }

    @Test func invalidUTF8InCloseReasonIs1007() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.close, [0x03, 0xE8, 0x61, 0xC3])) == wsFailure(1007))
        #expect(machine.error == .invalidUTF8InCloseReason)
    }

    @Test func dataAfterTheCloseIsIgnored() {
        var machine = Self.server()
        let input = Self.clientClose(1000) + wsClientFrame(.text, wsBytes("late"))
        #expect(machine.wsReceive(input) == [.send(wsServerClose(1000)), .closeConnection])
        #expect(machine.wsReceive(wsClientFrame(.text, wsBytes("later"))) == [])
    }

    @Test func closeInTheMiddleOfAFragmentedMessageDropsIt() {
        var machine = Self.server()
        let input = wsClientFrame(.text, wsBytes("part"), fin: false) + Self.clientClose(1001)
        #expect(machine.wsReceive(input) == [.send(wsServerClose(1001)), .closeConnection])
    }

    @Test func initiateCloseReturnsTheCloseFrameAndWaits() {
        var machine = Self.server()
        #expect(
            machine.initiateClose(code: 1001, reason: "shutting down") == [0x88, 0x0F, 0x03, 0xE9]
                + wsBytes("shutting down"))
        #expect(machine.state == .closing)
        #expect(!machine.canSendData)
        #expect(machine.initiateClose(code: 1000, reason: "") == [])
    }

    @Test func dataAndPingsAfterInitiatingCloseAreIgnored() {
        var machine = Self.server()
        _ = machine.initiateClose(code: 1001, reason: "")
        let input =
            wsClientFrame(.text, wsBytes("in flight")) + wsClientFrame(.ping, [1])
            + wsClientFrame(.binary, [2], fin: false)
        #expect(machine.wsReceive(input) == [])
    }

    @Test func peerCloseAfterInitiatingCloseOnlyClosesTheConnection() {
        var machine = Self.server()
        _ = machine.initiateClose(code: 1001, reason: "")
        #expect(machine.wsReceive(Self.clientClose(1001)) == [.closeConnection])
        #expect(machine.state == .closed)
        #expect(machine.peerCloseCode == 1001)
    }

    @Test func initiatingCloseDuringAPartialFrameDiscardsTheRest() {
        var machine = Self.server()
        let frame = wsClientFrame(.text, wsBytes("a long message"))
        #expect(machine.wsReceive(Array(frame.prefix(10))) == [])
        _ = machine.initiateClose(code: 1001, reason: "")
        let rest = Array(frame.dropFirst(10)) + Self.clientClose(1000)
        #expect(machine.wsReceive(rest) == [.closeConnection])
    }

    @Test func protocolErrorWhileClosingClosesWithoutASecondCloseFrame() {
        var machine = Self.server()
        _ = machine.initiateClose(code: 1001, reason: "")
        #expect(machine.wsReceive(wsServerFrame(.text, [])) == [.closeConnection])
        #expect(machine.error == .unmaskedClientFrame)
    }

    @Test func closeReasonIsTruncatedToFitAControlFrame() {
        var machine = Self.server()
        let frame = machine.initiateClose(code: 1000, reason: String(repeating: "x", count: 300))
        #expect(frame.count == 2 + 125)
        #expect(frame[1] == 125)
    }
}
