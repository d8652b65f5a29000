import Testing
import WebSocket

@Suite struct ProtocolErrorTests {
    static func server() -> WebSocketStateMachine {
        WebSocketStateMachine(role: .server)
    }

    @Test func unmaskedClientFrameIs1002WithExactCloseBytes() {
        var machine = Self.server()
        let actions = machine.wsReceive(wsServerFrame(.text, wsBytes("hi")))
        #expect(actions == [.send([0x88, 0x02, 0x03, 0xEA]), .closeConnection])
        #expect(machine.error == .unmaskedClientFrame)
        #expect(machine.state == .closed)
    }

    @Test func inputAfterAFailureIsIgnored() {
        var machine = Self.server()
        _ = machine.wsReceive(wsServerFrame(.text, wsBytes("hi")))
        #expect(machine.wsReceive(wsClientFrame(.text, wsBytes("later"))) == [])
        #expect(machine.wsReceive(wsClientFrame(.ping, [])) == [])
    }

    @Test(arguments: [0x40, 0x20, 0x10] as [UInt8])
    func reservedBitIs1002(bit: UInt8) {
        var frame = wsClientFrame(.text, wsBytes("x"))
        frame[0] |= bit
        var machine = Self.server()
        #expect(machine.wsReceive(frame) == wsFailure(1002))
        #expect(machine.error == .reservedBitsSet)
    }

    @Test(arguments: [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] as [UInt8])
    func reservedOpcodeIs1002(opcode: UInt8) {
        var frame = wsClientFrame(.binary, [1, 2, 3])
        frame[0] = 0x80 | opcode
        var machine = Self.server()
        #expect(machine.wsReceive(frame) == wsFailure(1002))
        #expect(machine.error == .reservedOpcode(opcode))
    }

    @Test func controlFrameOver125BytesIs1002() {
        var machine = Self.server()
        let frame = wsClientFrame(.ping, [UInt8](repeating: 0, count: 126))
        // The header alone is enough to know.
        #expect(machine.wsReceive(Array(frame.prefix(8))) == wsFailure(1002))
        #expect(machine.error == .controlFrameTooLong)
    }

    @Test func controlFrameOfExactly125BytesIsAccepted() {
        var machine = Self.server()
        let payload = [UInt8](repeating: 0x2A, count: 125)
        #expect(machine.wsReceive(wsClientFrame(.ping, payload)) == [.send(wsServerFrame(.pong, payload))])
    }

    @Test(arguments: [WebSocketOpcode.ping, .pong, .close])
    func fragmentedControlFrameIs1002(opcode: WebSocketOpcode) {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(opcode, [], fin: false)) == wsFailure(1002))
        #expect(machine.error == .fragmentedControlFrame)
    }

    @Test func errorPartWayThroughAReadStopsProcessing() {
        var machine = Self.server()
        let input =
            wsClientFrame(.text, wsBytes("ok")) + wsServerFrame(.text, wsBytes("bad"))
            + wsClientFrame(.text, wsBytes("never"))
        #expect(machine.wsReceive(input) == [.message(.text, wsBytes("ok"))] + wsFailure(1002))
    }

    @Test func invalidUTF8InTextIs1007() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.text, [0x61, 0xC0, 0xAF])) == wsFailure(1007))
        #expect(machine.error == .invalidUTF8InText)
    }

    @Test func invalidUTF8InBinaryIsFine() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.binary, [0xC0, 0xAF])) == [.message(.binary, [0xC0, 0xAF])])
    }

    @Test func invalidUTF8FailsFastInTheFirstFragment() {
        var machine = Self.server()
        // Only the first fragment has arrived; its 0xFF can never be valid.
        #expect(machine.wsReceive(wsClientFrame(.text, [0x61, 0xFF, 0x62], fin: false)) == wsFailure(1007))
    }

    @Test func invalidUTF8FailsFastInsideAPartialFrame() {
        var machine = Self.server()
        let frame = wsClientFrame(.text, wsBytes("abc") + [0xED, 0xA0, 0x80] + [UInt8](repeating: 0x61, count: 100))
        // Header (6 bytes) + "abc" + the surrogate's first two bytes: ED A0 is already hopeless.
        #expect(machine.wsReceive(Array(frame.prefix(6 + 5))) == wsFailure(1007))
    }

    @Test func characterSplitAcrossFragmentsIsValid() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        var machine = Self.server()
        let input =
            wsClientFrame(.text, [0x61, euro[0]], fin: false)
            + wsClientFrame(.continuation, [euro[1]], fin: false)
            + wsClientFrame(.continuation, [euro[2], 0x62])
        #expect(machine.wsReceive(input) == [.message(.text, [0x61] + euro + [0x62])])
    }

    @Test func incompleteCharacterAtTheEndOfTheFinalFragmentIs1007() {
        var machine = Self.server()
        let input = wsClientFrame(.text, [0x61], fin: false) + wsClientFrame(.continuation, [0xE2, 0x82])
        #expect(machine.wsReceive(input) == wsFailure(1007))
    }

    @Test func clientRoleRejectsMaskedServerFramesWithAMaskedClose() throws {
        var client = WebSocketStateMachine(role: .client, maskingSeed: 1)
        let actions = client.wsReceive(wsClientFrame(.text, wsBytes("masked")))
        #expect(client.error == .maskedServerFrame)
        #expect(actions.count == 2)
        #expect(actions.last == .closeConnection)
        guard case .send(let close) = actions.first else {
            Issue.record("expected a close frame first")
            return
        }
        // Client frames are masked: decode with a server machine to read the code.
        var server = WebSocketStateMachine(role: .server)
        #expect(close[1] & 0x80 != 0)
        #expect(server.wsReceive(close) == [.send(wsServerClose(1002)), .closeConnection])
        #expect(server.peerCloseCode == 1002)
    }
}
