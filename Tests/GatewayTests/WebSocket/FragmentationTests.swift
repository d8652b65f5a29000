import Testing
import WebSocket

@Suite struct FragmentationTests {
    static func server(maxMessageSize: Int = 1 << 20) -> WebSocketStateMachine {
        WebSocketStateMachine(role: .server, maxMessageSize: maxMessageSize)
    }

    /// "Hel", a ping, then "lo": RFC 6455 §5.4 allows control frames between fragments.
    static let fragmentsWithPing =
        wsClientFrame(.text, wsBytes("Hel"), fin: false)
        + wsClientFrame(.ping, wsBytes("are you there"))
        + wsClientFrame(.continuation, wsBytes("lo"))

    @Test func fragmentsAreReassembledAndInterleavedPingAnswered() {
        var machine = Self.server()
        let actions = machine.wsReceive(Self.fragmentsWithPing)
        #expect(actions == [.send(wsServerFrame(.pong, wsBytes("are you there"))), .message(.text, wsBytes("Hello"))])
    }

    @Test func fragmentsWithPingSplitAnywhereGiveTheSameActions() {
        let outcomes = wsOutcomesOverAllSplits(Self.fragmentsWithPing, makeMachine: { Self.server() })
        #expect(
            outcomes == [[.send(wsServerFrame(.pong, wsBytes("are you there"))), .message(.text, wsBytes("Hello"))]])
    }

    @Test func binaryMessageInManyFragmentsIncludingEmptyOnes() {
        var input = wsClientFrame(.binary, [0], fin: false)
        for index in 1..<200 {
            input += wsClientFrame(.continuation, index % 3 == 0 ? [] : [UInt8(index)], fin: false)
        }
        input += wsClientFrame(.continuation, [], fin: true)
        let expected = [0] + (1..<200).filter { $0 % 3 != 0 }.map { UInt8($0) }
        var machine = Self.server()
        #expect(machine.wsReceive(input) == [.message(.binary, expected)])
    }

    @Test func pongBetweenFragmentsIsReported() {
        let input =
            wsClientFrame(.binary, [1], fin: false) + wsClientFrame(.pong, []) + wsClientFrame(.continuation, [2])
        var machine = Self.server()
        #expect(machine.wsReceive(input) == [.pongReceived, .message(.binary, [1, 2])])
    }

    @Test func continuationWithoutAMessageIs1002() {
        var machine = Self.server()
        #expect(machine.wsReceive(wsClientFrame(.continuation, wsBytes("lo"))) == wsFailure(1002))
        #expect(machine.error == .unexpectedContinuation)
    }

    @Test func continuationAfterACompleteMessageIs1002() {
        var machine = Self.server()
        let input = wsClientFrame(.text, wsBytes("done")) + wsClientFrame(.continuation, wsBytes("more"))
        #expect(machine.wsReceive(input) == [.message(.text, wsBytes("done"))] + wsFailure(1002))
    }

    @Test func newMessageDuringAFragmentedOneIs1002() {
        var machine = Self.server()
        let input = wsClientFrame(.text, wsBytes("a"), fin: false) + wsClientFrame(.binary, wsBytes("b"))
        #expect(machine.wsReceive(input) == wsFailure(1002))
        #expect(machine.error == .expectedContinuation)
    }

    @Test func frameAnnouncingMoreThanTheLimitIs1009BeforeItsPayload() {
        var machine = Self.server(maxMessageSize: 1000)
        let frame = wsClientFrame(.binary, [UInt8](repeating: 1, count: 1001))
        // Only the header (2 + 2 + 4 bytes) has arrived.
        #expect(machine.wsReceive(Array(frame.prefix(8))) == wsFailure(1009))
        #expect(machine.error == .messageTooBig)
    }

    @Test func messageExactlyAtTheLimitIsDelivered() {
        var machine = Self.server(maxMessageSize: 1000)
        let payload = [UInt8](repeating: 1, count: 1000)
        #expect(machine.wsReceive(wsClientFrame(.binary, payload)) == [.message(.binary, payload)])
    }

    @Test func fragmentsSummingOverTheLimitAre1009AtTheLastHeader() {
        var machine = Self.server(maxMessageSize: 1000)
        let first = wsClientFrame(.text, [UInt8](repeating: 0x61, count: 600), fin: false)
        let second = wsClientFrame(.continuation, [UInt8](repeating: 0x61, count: 401))
        #expect(machine.wsReceive(first) == [])
        #expect(machine.wsReceive(Array(second.prefix(8))) == wsFailure(1009))
    }

    @Test func sixtyFourBitLengthWithTopBitSetIs1002() {
        var machine = Self.server()
        let header: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]
        #expect(machine.wsReceive(header) == wsFailure(1002))
        #expect(machine.error == .invalidPayloadLength)
    }
}
