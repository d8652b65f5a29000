import Testing
import WebSocket

@Suite struct ClientRoleTests {
    @Test func clientMasksAndServerUnmasks() {
        var client = WebSocketStateMachine(role: .client, maskingSeed: 2024)
        var server = WebSocketStateMachine(role: .server)
        let text = "{\"name\":\"Mina\",\"room\":\"devroom\"} héllo"
        let frame = client.encodeText(text)
        #expect(frame[1] & 0x80 != 0)  // MASK bit set
        #expect(!frame.contains(wsBytes("Mina")))  // the payload is not in clear
        #expect(server.wsReceive(frame) == [.message(.text, wsBytes(text))])
    }

    @Test func serverSendsUnmaskedAndClientReceives() {
        var client = WebSocketStateMachine(role: .client, maskingSeed: 1)
        var server = WebSocketStateMachine(role: .server)
        let frame = server.encodeText("Mina:hello\n")
        #expect(frame == [0x81, 0x0B] + wsBytes("Mina:hello\n"))
        #expect(client.wsReceive(frame) == [.message(.text, wsBytes("Mina:hello\n"))])
    }

    @Test func eachClientFrameGetsAFreshKey() {
        var client = WebSocketStateMachine(role: .client)
        let first = client.encodeBinary([0, 0, 0, 0])
        let second = client.encodeBinary([0, 0, 0, 0])
        // With an all-zero payload the masked bytes are the key itself; two equal 32-bit
        // keys from the system generator would be a one-in-four-billion event.
        #expect(Array(first[2..<6]) != Array(second[2..<6]))
    }

    @Test func seededClientsProduceTheSameKeys() {
        var one = WebSocketStateMachine(role: .client, maskingSeed: 5)
        var two = WebSocketStateMachine(role: .client, maskingSeed: 5)
        #expect(one.encodeText("same") == two.encodeText("same"))
        #expect(one.encodePing([1]) == two.encodePing([1]))
    }

    @Test func clientAnswersPingWithMaskedPongTheServerAccepts() throws {
        var client = WebSocketStateMachine(role: .client, maskingSeed: 3)
        var server = WebSocketStateMachine(role: .server)
        let ping = server.encodePing(wsBytes("beat"))
        #expect(ping == [0x89, 0x04] + wsBytes("beat"))
        let actions = client.wsReceive(ping)
        guard case .send(let pong) = try #require(actions.first), actions.count == 1 else {
            Issue.record("expected one pong, got \(actions)")
            return
        }
        #expect(server.wsReceive(pong) == [.pongReceived])
    }

    @Test func fullCloseHandshakeBetweenClientAndServer() {
        var client = WebSocketStateMachine(role: .client, maskingSeed: 9)
        var server = WebSocketStateMachine(role: .server)
        let serverClose = server.initiateClose(code: WebSocketCloseCode.goingAway, reason: "restart")
        let clientActions = client.wsReceive(serverClose)
        #expect(client.peerCloseCode == 1001)
        #expect(clientActions.last == .closeConnection)
        guard case .send(let clientClose) = clientActions.first else {
            Issue.record("client did not answer the close")
            return
        }
        #expect(clientClose[1] == 0x82)  // masked, two-byte payload: the echoed code
        #expect(server.wsReceive(clientClose) == [.closeConnection])
        #expect(server.state == .closed)
        #expect(client.state == .closed)
    }

    @Test func clientFragmentsRoundTripThroughTheServer() {
        var client = WebSocketStateMachine(role: .client, maskingSeed: 11)
        var server = WebSocketStateMachine(role: .server)
        let input =
            client.encodeFrame(opcode: .text, payload: wsBytes("frag"), fin: false)
            + client.encodePing()
            + client.encodeFrame(opcode: .continuation, payload: wsBytes("mented"))
        let outcomes = wsOutcomesOverAllSplits(input, makeMachine: { WebSocketStateMachine(role: .server) })
        #expect(outcomes == [[.send([0x8A, 0x00]), .message(.text, wsBytes("fragmented"))]])
        #expect(server.wsReceive(input) == outcomes.first)
    }
}
