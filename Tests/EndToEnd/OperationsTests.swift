@preconcurrency import Glibc
import Reactor
import Testing

/// Operations a deployment relies on: dead-peer detection for WebSocket
/// clients, and gateways started by hand against a running router.
@Suite(.ownThread) struct OperationsTests {
    @Test func webSocketPeerThatNeverAnswersPingsIsClosedWhileOneThatAnswersStays() throws {
        let server = try MachatProcess(["-ping-interval", "200"], tcpGateways: 1, wsGateways: 1)
        let silent = try WebSocketTestClient.joined(port: server.wsPort, name: "Silent", room: "ops")
        let alive = try WebSocketTestClient.joined(port: server.wsPort, name: "Alive", room: "ops")
        // `alive` reads (and so answers pings) while waiting; `silent` reads
        // nothing, like a peer whose machine vanished.
        let closedSilent = MachatProcess.wait(timeout: 5) {
            _ = alive.readText(timeout: 0.05)
            return server.log.contains("msg=\"websocket peer did not answer a ping; closing\"")
                && server.log.contains("name=Silent")
        }
        #expect(closedSilent, "the silent peer was not closed:\n\(server.log)")
        #expect(silent.waitForClose(timeout: 5))
        #expect(!alive.isClosed)
        // Several more ping rounds later the answering peer still chats.
        let until = MachatProcess.now() + 1
        while MachatProcess.now() < until { _ = alive.readText(timeout: 0.05) }
        alive.sendText("still here")
        #expect(alive.readTexts(1).first == "Alive:still here\n")
        #expect(!alive.isClosed)
        #expect(server.stop() == 0)
    }

    @Test func gatewayStartedByHandSharesRoomsWithSupervisedGateways() throws {
        let server = try MachatProcess(tcpGateways: 1, wsGateways: 0)
        let port = try Self.freePort()
        let gateway = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat-tcp-gateway",
            arguments: ["-tcp", "127.0.0.1:\(port)", "-router", server.socketPath])
        let byHand = try LineClient.joinedEventually(port: port, name: "Hand", room: "mixed")
        let supervised = try LineClient.joined(port: server.tcpPort, name: "Super", room: "mixed")
        byHand.send("from the hand-started gateway\n")
        supervised.send("from the supervised gateway\n")
        let expected: Set = ["Hand:from the hand-started gateway", "Super:from the supervised gateway"]
        // Probe lines from joining are not part of the exchange.
        func chat(_ client: LineClient) -> Set<String> {
            var seen: Set<String> = []
            while seen.count < 2, let line = client.readLine(timeout: 5) {
                if !line.contains(":probe-") { seen.insert(line) }
            }
            return seen
        }
        #expect(chat(supervised) == expected)
        #expect(chat(byHand) == expected)
        #expect(server.log.contains("gateway=tcp-\(gateway.pid)"), "the router did not log the hand-started gateway")
        _ = gateway
        #expect(server.stop() == 0)
    }

    /// A port nobody listens on right now (bound to 0, read back, released).
    static func freePort() throws -> UInt16 {
        let fd = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
        defer { fd.close() }
        return try Socket.localAddress(fd).port
    }
}
