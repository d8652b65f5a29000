import Foundation
import Testing

/// The WebSocket gateway's HTTP side: origins, paths, versions.
@Suite(.ownThread) struct WebSocketHandshakeTests {
    /// Sends `request` over a raw socket and returns the whole response.
    private func exchange(_ request: String, port: UInt16) throws -> String {
        let client = try LineClient(port: port)
        client.send(request)
        return client.readToClose()
    }

    private func upgradeRequest(path: String = "/mychat", port: UInt16, extra: String = "", version: String = "13") -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n\(extra)\r\n"
    }

    @Test func aForeignBrowserOriginIsRefusedWith403() throws {
        let server = try MachatProcess()
        let client = try WebSocketTestClient(port: server.wsPort, origin: "http://evil.example")
        let refusal = try #require(client.refusal, "the upgrade should have been refused")
        #expect(refusal.hasPrefix("HTTP/1.1 403"), "got \(refusal)")
        #expect(refusal.contains("evil.example"), "the body should say which origin: \(refusal)")
        // Same host name but another port is another origin.
        let otherPort = try WebSocketTestClient(port: server.wsPort, origin: "http://127.0.0.1:\(server.wsPort &+ 1)")
        #expect(otherPort.refusal?.hasPrefix("HTTP/1.1 403") == true)
        #expect(server.stop() == 0)
    }

    @Test func anOriginMatchingTheHostAndNoOriginAtAllAreAccepted() throws {
        let server = try MachatProcess()
        let browser = try WebSocketTestClient(port: server.wsPort, origin: "http://127.0.0.1:\(server.wsPort)")
        #expect(browser.refusal == nil, "refused: \(browser.refusal ?? "")")
        let tool = try WebSocketTestClient(port: server.wsPort)
        #expect(tool.refusal == nil, "refused: \(tool.refusal ?? "")")
        browser.sendText("{\"name\":\"Browser\",\"room\":\"dev\"}")
        browser.sendText("browser ready")
        #expect(browser.readText() == "Browser:browser ready\n")
        tool.sendText("{\"name\":\"Tool\",\"room\":\"dev\"}")
        tool.sendText("tool ready")
        #expect(tool.readText() == "Tool:tool ready\n")
        #expect(browser.readText() == "Tool:tool ready\n")
        browser.sendText("hello tool")
        #expect(tool.readText() == "Browser:hello tool\n")
        #expect(browser.readText() == "Browser:hello tool\n")
        #expect(server.stop() == 0)
    }

    @Test func anOriginListedWithTheOriginsFlagIsAccepted() throws {
        let server = try MachatProcess(["-origins", "https://chat.example.com,https://other.example"])
        let listed = try WebSocketTestClient(port: server.wsPort, origin: "https://chat.example.com")
        #expect(listed.refusal == nil, "refused: \(listed.refusal ?? "")")
        let unlisted = try WebSocketTestClient(port: server.wsPort, origin: "https://chat.example.org")
        #expect(unlisted.refusal?.hasPrefix("HTTP/1.1 403") == true)
        #expect(server.stop() == 0)
    }

    @Test func anUnknownPathIsNotFound() throws {
        let server = try MachatProcess()
        let client = try WebSocketTestClient(port: server.wsPort, path: "/elsewhere")
        let refusal = try #require(client.refusal)
        #expect(refusal.hasPrefix("HTTP/1.1 404"), "got \(refusal)")
        let raw = try exchange(upgradeRequest(path: "/mychat/extra", port: server.wsPort), port: server.wsPort)
        #expect(raw.hasPrefix("HTTP/1.1 404"), "got \(raw)")
        #expect(server.stop() == 0)
    }

    @Test func aPlainHTTPGetOfTheChatPathIsABadRequestWithAnExplanation() throws {
        let server = try MachatProcess()
        let response = try exchange(
            "GET /mychat HTTP/1.1\r\nHost: 127.0.0.1:\(server.wsPort)\r\nAccept: text/html\r\n\r\n", port: server.wsPort)
        #expect(response.hasPrefix("HTTP/1.1 400"), "got \(response)")
        let parts = response.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 2)
        let body = parts.count == 2 ? parts[1] : ""
        #expect(body.lowercased().contains("websocket"), "the body should explain: \(body)")
        if let length = parts.first?.components(separatedBy: "\r\n").first(where: {
            $0.lowercased().hasPrefix("content-length:")
        }) {
            #expect(Int(length.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) == body.utf8.count)
        }
        #expect(server.stop() == 0)
    }

    @Test func anUnsupportedWebSocketVersionGets426NamingVersion13() throws {
        let server = try MachatProcess()
        let response = try exchange(upgradeRequest(port: server.wsPort, version: "8"), port: server.wsPort)
        #expect(response.hasPrefix("HTTP/1.1 426"), "got \(response)")
        let refusedHead = response.components(separatedBy: "\r\n\r\n")[0].lowercased()
        #expect(refusedHead.contains("\r\nsec-websocket-version: 13"), "got \(response)")
        // A correct request on the same server upgrades with the RFC's accept value.
        let upgraded = try LineClient(port: server.wsPort)
        upgraded.send(upgradeRequest(port: server.wsPort))
        var head: [String] = []
        while let line = upgraded.readLine(), line != "\r" { head.append(line) }
        let good = head.joined(separator: "\n")
        #expect(good.hasPrefix("HTTP/1.1 101"), "got \(good)")
        #expect(good.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "got \(good)")
        #expect(server.stop() == 0)
    }
}
