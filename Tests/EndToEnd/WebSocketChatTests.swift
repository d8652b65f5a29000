@preconcurrency import Glibc
import Testing
import WebSocket

/// WebSocket members: mixed rooms with TCP, message framing, errors, the
/// gateway's restart, and the echo endpoint.
@Suite(.ownThread) struct WebSocketChatTests {
    @Test func aWebSocketMemberAndATCPMemberSeeEachOthersLinesInOrder() throws {
        let server = try MachatProcess()
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "mixed")
        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tcp", room: "mixed")
        #expect(web.readText()?.hasPrefix("Tcp:probe-") == true)
        let count = 300
        for i in 0..<count {
            web.sendText("from web \(i)")
            tcp.send("from tcp \(i)\n")
        }
        let tcpSeen = tcp.readLines(2 * count, timeout: 20)
        let webSeen = web.readTexts(2 * count, timeout: 20)
        #expect(tcpSeen.count == 2 * count)
        #expect(webSeen.count == 2 * count)
        // Every WebSocket delivery is one whole line with its newline.
        #expect(webSeen.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().firstIndex(of: "\n") == nil })
        // Both see the room's single order.
        #expect(webSeen.map { String($0.dropLast()) } == tcpSeen)
        #expect(tcpSeen.filter { $0.hasPrefix("Web:") } == (0..<count).map { "Web:from web \($0)" })
        #expect(tcpSeen.filter { $0.hasPrefix("Tcp:") } == (0..<count).map { "Tcp:from tcp \($0)" })
        #expect(server.stop() == 0)
    }

    @Test func severalLinesInOneMessageArriveAsSeparateDeliveries() throws {
        let server = try MachatProcess()
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "split")
        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tcp", room: "split")
        _ = web.readText()  // Tcp's probe
        web.sendText("a\nb\n")
        #expect(web.readTexts(2) == ["Web:a\n", "Web:b\n"])
        #expect(tcp.readLines(2) == ["Web:a", "Web:b"])
        // Without a trailing newline the last part is a line too.
        web.sendText("c\nd")
        #expect(web.readTexts(2) == ["Web:c\n", "Web:d\n"])
        #expect(tcp.readLines(2) == ["Web:c", "Web:d"])
        #expect(server.stop() == 0)
    }

    @Test func eachDeliveryIsExactlyOneTextMessageNameColonLineNewline() throws {
        let server = try MachatProcess()
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Wéb", room: "frames")
        let other = try WebSocketTestClient.joined(port: server.wsPort, name: "Other", room: "frames")
        _ = web.readText()  // Other's probe
        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tcp", room: "frames")
        _ = web.readText()  // Tcp's probe
        _ = other.readText()

        tcp.send("burst 1\nburst 2\nburst 3\n")
        for client in [web, other] {
            let burst = (0..<3).compactMap { _ in client.readMessage() }
            #expect(burst.map(\.kind) == [.text, .text, .text])
            #expect(burst.map(\.payload) == ["Tcp:burst 1\n", "Tcp:burst 2\n", "Tcp:burst 3\n"].map { Array($0.utf8) })
        }
        web.sendText("grüße")
        for client in [web, other] {
            let message = client.readMessage()
            #expect(message?.kind == .text)
            #expect(message?.payload == Array("Wéb:grüße\n".utf8))
        }
        #expect(tcp.readLines(4) == ["Tcp:burst 1", "Tcp:burst 2", "Tcp:burst 3", "Wéb:grüße"])
        #expect(server.stop() == 0)
    }

    @Test func anInvalidJoinGetsAnErrorTextThenClose1008() throws {
        let server = try MachatProcess()
        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tcp", room: "dev")
        for bad in [
            "not json", "{\"name\":\"Eve\"}", "{\"name\":\"E:ve\",\"room\":\"dev\"}", "{\"name\":\"Tcp\",\"room\":\"dev\"}",
        ] {
            let eve = try WebSocketTestClient(port: server.wsPort)
            try #require(eve.refusal == nil)
            eve.sendText(bad)
            let reply = eve.readText()
            #expect(reply?.hasPrefix("error: ") == true, "for \(bad): \(String(describing: reply))")
            #expect(eve.waitForClose(), "for \(bad)")
            #expect(eve.closeCode == 1008, "for \(bad): close code \(String(describing: eve.closeCode))")
            tcp.send("ok after \(bad)\n")
            #expect(tcp.readLine() == "Tcp:ok after \(bad)")
        }
        #expect(server.stop() == 0)
    }

    @Test func anUnmaskedClientFrameIsClosedWith1002() throws {
        let server = try MachatProcess()
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "dev")
        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tcp", room: "dev")
        _ = web.readText()  // Tcp's probe
        let payload = Array("unmasked".utf8)
        web.sendRaw([0x81, UInt8(payload.count)] + payload)
        #expect(web.waitForClose())
        #expect(web.closeCode == 1002)
        // Nothing of it reached the room, and the room goes on.
        tcp.send("after\n")
        #expect(tcp.readLine() == "Tcp:after")
        #expect(server.stop() == 0)
    }

    @Test func killingTheWebSocketGatewayDoesNotDisturbTCPMembersAndItComesBack() throws {
        let server = try MachatProcess()
        let ann = try LineClient.joined(port: server.tcpPort, name: "Ann", room: "dev")
        let bob = try LineClient.joined(port: server.tcpPort, name: "Bob", room: "dev")
        _ = ann.readLine()  // Bob's probe
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "dev")
        #expect(ann.readLine()?.hasPrefix("Web:probe-") == true)
        #expect(bob.readLine()?.hasPrefix("Web:probe-") == true)
        let gateways = server.children(named: "machat-ws-gateway")
        try #require(gateways.count == 1)

        kill(gateways[0], SIGKILL)
        // TCP members keep chatting, line by line, until the new gateway is up.
        var sent = 0
        var restarted = false
        let deadline = MachatProcess.now() + 15
        while !restarted && MachatProcess.now() < deadline {
            ann.send("during \(sent)\n")
            #expect(bob.readLine() == "Ann:during \(sent)")
            #expect(ann.readLine() == "Ann:during \(sent)")
            sent += 1
            let now = server.children(named: "machat-ws-gateway")
            restarted = now.count == 1 && now[0] != gateways[0]
        }
        #expect(restarted, "machat should start a new WebSocket gateway")
        #expect(web.waitForClose(), "the killed gateway's client should see the connection end")

        // The dead gateway's member left the room, so its name is free again.
        let again = try WebSocketTestClient.joinedEventually(port: server.wsPort, name: "Web", room: "dev")
        #expect(ann.readLine()?.hasPrefix("Web:probe-") == true)
        #expect(bob.readLine()?.hasPrefix("Web:probe-") == true)
        again.sendText("web is back")
        #expect(ann.readLine() == "Web:web is back")
        #expect(bob.readLine() == "Web:web is back")
        #expect(again.readText() == "Web:web is back\n")
        bob.send("welcome back\n")
        #expect(again.readText() == "Bob:welcome back\n")
        #expect(ann.readLine() == "Bob:welcome back")
        #expect(server.stop() == 0)
    }

    @Test func theEchoEndpointEchoesTextAndBinaryByteForByte() throws {
        let server = try MachatProcess(["-echo-path", "/echo"])
        let echo = try WebSocketTestClient(port: server.wsPort, path: "/echo")
        try #require(echo.refusal == nil, "upgrade refused: \(echo.refusal ?? "")")
        let text = "héllo, wörld \u{1F600} " + String(repeating: "ab", count: 100)
        echo.sendText(text)
        let textReply = echo.readMessage()
        #expect(textReply?.kind == .text)
        #expect(textReply?.payload == Array(text.utf8))

        // Every byte value, long enough for the 64-bit length form.
        let binary = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        echo.sendBinary(binary)
        let binaryReply = echo.readMessage(timeout: 10)
        #expect(binaryReply?.kind == .binary)
        #expect(binaryReply?.payload == binary)

        echo.sendText("")
        #expect(echo.readMessage()?.payload == [])
        // The chat endpoint is still the chat endpoint.
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "dev")
        web.sendText("chat")
        #expect(web.readText() == "Web:chat\n")
        #expect(server.stop() == 0)
    }

    @Test func withoutTheEchoFlagTheEchoPathIsNotFound() throws {
        let server = try MachatProcess()
        let echo = try WebSocketTestClient(port: server.wsPort, path: "/echo")
        let refusal = try #require(echo.refusal)
        #expect(refusal.hasPrefix("HTTP/1.1 404"), "got \(refusal)")
        #expect(server.stop() == 0)
    }
}
