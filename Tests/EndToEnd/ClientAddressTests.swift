@preconcurrency import Glibc
import Foundation
import Testing

/// Per-address abuse limits and the PROXY protocol, on the real binaries:
/// clients are told in their own protocol, each episode is logged once, and
/// behind a trusted proxy the address in its PROXY header is the client.
@Suite(.ownThread) struct ClientAddressTests {
    /// How many log lines contain `text`.
    private static func count(_ text: String, in server: MachatProcess) -> Int {
        server.log.components(separatedBy: text).count - 1
    }

    /// A raw HTTP upgrade request for the chat endpoint.
    private static func upgradeRequest(port: UInt16) -> String {
        "GET /mychat HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    /// A v2 PROXY header for TCP over IPv6, built from the spec's layout
    /// (proxy-protocol.txt §2.2) by hand.
    private static func proxyV2(ipv6 source: [UInt8], port: UInt16) -> [UInt8] {
        let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
        let destination = [UInt8](repeating: 0, count: 15) + [1]
        let block = source + destination + [UInt8(port >> 8), UInt8(port & 0xff), 0x1F, 0x90]
        return signature + [0x21, 0x21, 0, UInt8(block.count)] + block
    }

    @Test func connectionsPastThePerAddressLimitAreRefusedInEachProtocolWithOneLogLinePerEpisode() throws {
        let server = try MachatProcess(["-max-connections-per-ip", "3"], tcpGateways: 1, wsGateways: 1)
        var members: [Resilience.Member] = []
        for name in ["Ada", "Bea", "Cy"] {
            members.append(.tcp(try LineClient.joined(port: server.tcpPort, name: name, room: "office"), name: name))
        }
        var refusals: [String?] = []
        for _ in 0..<2 {
            let extra = try LineClient(port: server.tcpPort)
            extra.send("{\"name\":\"Dee\",\"room\":\"office\"}\n")
            refusals.append(extra.readLine(timeout: 5))
            #expect(extra.waitForClose(timeout: 3))
        }
        let text = "error: too many connections from your address (3 on this server); close some and try again"
        #expect(refusals == [text, text])
        // Another address is not affected by this one's limit.
        let other = try LineClient(port: server.tcpPort, from: "127.0.0.2")
        other.send("{\"name\":\"Eve\",\"room\":\"office\"}\nfrom elsewhere\n")
        #expect(members[0].collect(timeout: 5) { $0.contains("Eve:from elsewhere") })
        let episode =
            "msg=\"connections from one address over the limit; refusing new ones until some close\" addr=127.0.0.1 limit=3"
        #expect(server.waitForLog(episode))
        #expect(Self.count(episode, in: server) == 1, "one line for two refusals")

        // A freed slot is taken again; the next refusal is a new episode.
        members.removeLast().hangUp()
        members.append(.tcp(try LineClient.joinedEventually(port: server.tcpPort, name: "Fay", room: "office"), name: "Fay"))
        let again = try LineClient(port: server.tcpPort)
        #expect(again.readLine(timeout: 5) == text)
        #expect(server.waitForLog(episode, count: 2))

        // WebSocket: HTTP 429 with a plain body, before the upgrade.
        var sockets: [WebSocketTestClient] = []
        for name in ["Gus", "Hal", "Ivo"] {
            sockets.append(try WebSocketTestClient.joined(port: server.wsPort, name: name, room: "office"))
        }
        let refusedUpgrade = try LineClient(port: server.wsPort)
        refusedUpgrade.send(Self.upgradeRequest(port: server.wsPort))
        let response = refusedUpgrade.readToClose(timeout: 5)
        #expect(response.hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"), "got \(response)")
        #expect(response.contains("Content-Type: text/plain"))
        #expect(response.hasSuffix("\r\n\r\n\(text)\n"), "got \(response)")
        print("per-address limit: TCP refusal \(text.debugDescription); WebSocket \(response.prefix { $0 != "\r" })")
        for socket in sockets { shutdown(socket.fd.rawValue, Int32(SHUT_RDWR)) }
        shutdown(other.fd.rawValue, Int32(SHUT_RDWR))
        #expect(Resilience.stop(server, after: members) == 0)
    }

    @Test func joinsPastThePerAddressRateAreRefusedOverTCPAndWithClose1008OverWebSocket() throws {
        let server = try MachatProcess(
            ["-joins-per-ip", "1/h", "-join-burst-per-ip", "2", "-metrics", "127.0.0.1:0"], tcpGateways: 1, wsGateways: 1)
        let first = try LineClient.joined(port: server.tcpPort, name: "Jo", room: "r")
        let second = try LineClient.joined(port: server.tcpPort, name: "Kit", room: "r")
        let text = "error: too many joins from your address; wait a few seconds and try again"
        for name in ["Lou", "Max"] {
            let third = try LineClient(port: server.tcpPort, name: name, room: "r")
            #expect(third.readLine(timeout: 5) == text)
            #expect(third.waitForClose(timeout: 3))
        }
        // Another address has its own bucket.
        let elsewhere = try LineClient(port: server.tcpPort, from: "127.0.0.3")
        elsewhere.send("{\"name\":\"Ned\",\"room\":\"r\"}\nhi\n")
        #expect(elsewhere.readLine(timeout: 5) == "Ned:hi")
        let episode = "msg=\"joins from one address over the limit; refusing until it slows down\" addr=127.0.0.1"
        #expect(server.waitForLog(episode))
        #expect(Self.count(episode, in: server) == 1, "one line for two refusals")

        // WebSocket: the refusal is an error message, then close 1008.
        _ = try WebSocketTestClient.joined(port: server.wsPort, name: "Oz", room: "r")
        _ = try WebSocketTestClient.joined(port: server.wsPort, name: "Pia", room: "r")
        let refused = try WebSocketTestClient(port: server.wsPort, name: "Quin", room: "r")
        #expect(refused.readText(timeout: 5) == text)
        #expect(refused.waitForClose(timeout: 3))
        #expect(refused.closeCode == 1008)
        // Each refusal is counted by reason, on the gateway that made it.
        let port = try #require(MetricsScrape.port(in: server.log), "no metrics port in the log:\n\(server.log)")
        let tcpRefusals = "machat_join_refusals_total{process=\"tcp-gateway-1\",protocol=\"tcp\",reason=\"address_limit\"}"
        let wsRefusals = "machat_join_refusals_total{process=\"ws-gateway-1\",protocol=\"ws\",reason=\"address_limit\"}"
        var scrape = try MetricsScrape.fetch(port: port)
        _ = MachatProcess.wait(timeout: 5) {
            scrape = (try? MetricsScrape.fetch(port: port)) ?? scrape
            return scrape.value(tcpRefusals) == 2 && scrape.value(wsRefusals) == 1
        }
        #expect(scrape.value(tcpRefusals) == 2 && scrape.value(wsRefusals) == 1)
        for client in [first, second, elsewhere] { shutdown(client.fd.rawValue, Int32(SHUT_RDWR)) }
        #expect(server.stop() == 0)
    }

    @Test func aTrustedProxysHeaderNamesTheClientForLogsAndPerAddressLimits() throws {
        let server = try MachatProcess(
            ["-proxy-protocol", "-trusted-proxies", "127.0.0.1", "-max-connections-per-ip", "2"], tcpGateways: 1,
            wsGateways: 1)
        // Every connection comes from 127.0.0.1, the trusted proxy; the
        // header says who the client is.
        func proxied(_ client: String, port: UInt16, join name: String) -> LineClient? {
            guard let connection = try? LineClient(port: server.tcpPort) else { return nil }
            connection.send("PROXY TCP4 \(client) 192.0.2.1 \(port) 8989\r\n{\"name\":\"\(name)\",\"room\":\"lobby\"}\n")
            return connection
        }
        let first = try #require(proxied("203.0.113.7", port: 40001, join: "Ria"))
        first.send("one\n")
        #expect(first.readLine(timeout: 5) == "Ria:one")
        let second = try #require(proxied("203.0.113.7", port: 40002, join: "Sol"))
        second.send("two\n")
        #expect(second.readLine(timeout: 5) == "Sol:two")
        // A third from 203.0.113.7 is over its limit of 2, while 127.0.0.1
        // (which holds them all) is not what is counted.
        let third = try #require(proxied("203.0.113.7", port: 40003, join: "Tam"))
        #expect(
            third.readLine(timeout: 5)
                == "error: too many connections from your address (2 on this server); close some and try again")
        #expect(third.waitForClose(timeout: 3))
        #expect(
            server.waitForLog(
                "msg=\"connections from one address over the limit; refusing new ones until some close\" addr=203.0.113.7 limit=2"
            ))
        let fourth = try #require(proxied("198.51.100.9", port: 40004, join: "Uma"))
        fourth.send("four\n")
        #expect(fourth.readLine(timeout: 5) == "Uma:four")
        #expect(first.readLines(2, timeout: 5) == ["Sol:two", "Uma:four"])

        // Log lines name the client (with its port) from the header.
        let bad = try #require(proxied("192.0.2.55", port: 40009, join: "bad:name"))
        #expect(bad.readLine(timeout: 5)?.hasPrefix("error: ") == true)
        #expect(server.waitForLog("addr=192.0.2.55:40009"), "\(server.log)")

        // PROXY UNKNOWN keeps the proxy's own address (here 127.0.0.1).
        let unknown = try LineClient(port: server.tcpPort)
        unknown.send("PROXY UNKNOWN\r\n{\"name\":\"x:y\",\"room\":\"lobby\"}\n")
        #expect(unknown.readLine(timeout: 5)?.hasPrefix("error: ") == true)
        #expect(server.waitForLog("addr=127.0.0.1:\(SourceAddress.localPort(of: unknown.fd))"))

        // The WebSocket gateway takes v2 headers too: the page request of
        // [2001:db8::7]:40000 is answered, and its bad path is logged as it.
        let source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
        let web = try LineClient(port: server.wsPort)
        web.send(Self.proxyV2(ipv6: source, port: 40000) + Array("GET /nowhere HTTP/1.1\r\nHost: chat\r\n\r\n".utf8))
        let response = web.readToClose(timeout: 5)
        #expect(response.hasPrefix("HTTP/1.1 404 "), "got \(response)")
        #expect(server.waitForLog("msg=\"websocket handshake refused\" conn="))
        #expect(server.log.contains("addr=[2001:db8::7]:40000"))
        let upgraded = try LineClient(port: server.wsPort)
        upgraded.send(Self.proxyV2(ipv6: source, port: 40001) + Array(Self.upgradeRequest(port: server.wsPort).utf8))
        #expect(upgraded.readLine(timeout: 5) == "HTTP/1.1 101 Switching Protocols\r")
        for client in [first, second, fourth, upgraded] { shutdown(client.fd.rawValue, Int32(SHUT_RDWR)) }
        #expect(server.stop() == 0)
    }

    @Test func untrustedPeersAreClientsAndAProxyHeaderFromThemIsRefusedAsABadJoin() throws {
        let server = try MachatProcess(["-proxy-protocol", "-trusted-proxies", "127.0.0.1"], tcpGateways: 1, wsGateways: 1)
        // A client on 127.0.0.2 is not the proxy: it just joins.
        let member = try LineClient(port: server.tcpPort, from: "127.0.0.2")
        member.send("{\"name\":\"Vic\",\"room\":\"side\"}\nplain client\n")
        #expect(member.readLine(timeout: 5) == "Vic:plain client")
        // A PROXY header from it would let it pose as anyone: refused.
        let spoofer = try LineClient(port: server.tcpPort, from: "127.0.0.2")
        spoofer.send("PROXY TCP4 198.51.100.1 192.0.2.1 1234 8989\r\n{\"name\":\"Wes\",\"room\":\"side\"}\n")
        let refusal = spoofer.readLine(timeout: 5)
        #expect(
            refusal == "error: the join must be a JSON object; send {\"name\":\"<you>\",\"room\":\"<room>\"}",
            "got \(refusal ?? "nothing")")
        #expect(spoofer.waitForClose(timeout: 3))
        #expect(
            server.waitForLog("msg=\"PROXY header from a peer not in -trusted-proxies; handled as a client, so it is refused\""))
        #expect(server.log.contains("addr=127.0.0.2:\(SourceAddress.localPort(of: spoofer.fd))"))
        let webSpoofer = try LineClient(port: server.wsPort, from: "127.0.0.2")
        webSpoofer.send("PROXY TCP4 198.51.100.1 192.0.2.1 1234 8099\r\n" + Self.upgradeRequest(port: server.wsPort))
        let response = webSpoofer.readToClose(timeout: 5)
        #expect(response.hasPrefix("HTTP/1.1 400 "), "got \(response)")
        #expect(server.waitForLog("PROXY header from a peer not in -trusted-proxies", count: 2))
        #expect(!server.log.contains("198.51.100.1"), "the spoofed address was never taken")
        shutdown(member.fd.rawValue, Int32(SHUT_RDWR))
        #expect(server.stop() == 0)
    }

    @Test func aMalformedOrMissingHeaderFromATrustedProxyIsLoggedAndClosed() throws {
        let server = try MachatProcess(["-proxy-protocol", "-trusted-proxies", "127.0.0.0/8"], tcpGateways: 1, wsGateways: 0)
        let malformed = try LineClient(port: server.tcpPort)
        malformed.send("PROXY TCP4 1.2.3 192.0.2.1 1 2\r\n{\"name\":\"Xia\",\"room\":\"r\"}\n")
        #expect(malformed.readToClose(timeout: 5) == "")
        let port = SourceAddress.localPort(of: malformed.fd)
        #expect(server.waitForLog("msg=\"invalid PROXY header from a trusted proxy; closing\""))
        #expect(
            server.waitForLog(
                "proxy=127.0.0.1:\(port) reason=\"v1 header has an address not in its family's canonical form\""))
        // A trusted proxy must send the header: a bare join is not guessed at.
        let bare = try LineClient(port: server.tcpPort, from: "127.0.0.9")
        bare.send("{\"name\":\"Yan\",\"room\":\"r\"}\n")
        #expect(bare.readToClose(timeout: 5) == "")
        #expect(
            server.waitForLog("reason=\"does not start with a PROXY protocol header (v1 \\\"PROXY \\\" or the v2 signature)\""))
        // Sent one byte at a time, a good header still works.
        let slow = try LineClient(port: server.tcpPort)
        for byte in Array("PROXY TCP4 203.0.113.70 192.0.2.1 5555 8989\r\n".utf8) { slow.send([byte]) }
        slow.send("{\"name\":\"Zed\",\"room\":\"r\"}\nbyte by byte\n")
        #expect(slow.readLine(timeout: 5) == "Zed:byte by byte")
        shutdown(slow.fd.rawValue, Int32(SHUT_RDWR))
        #expect(server.stop() == 0)
    }

    @Test func proxyProtocolWithoutTrustedProxiesStopsMachatAndTheGatewayAtStartUpWithTheReason() throws {
        let reason = "-proxy-protocol needs -trusted-proxies"
        #expect {
            _ = try MachatProcess(["-proxy-protocol"], tcpGateways: 1, wsGateways: 0, timeout: 10)
        } throws: { error in
            "\(error)".contains("machat exited early (512)") && "\(error)".contains(reason)
        }
        let gateway = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat-tcp-gateway",
            arguments: ["-tcp", "127.0.0.1:0", "-proxy-protocol", "-router", "/nonexistent/router.sock"])
        #expect(PipedProcess.exitCode(gateway.waitForExit(timeout: 10)) == 2)
        #expect(gateway.errorOutput.contains(reason), "\(gateway.errorOutput)")
        let typo = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat-ws-gateway",
            arguments: ["-ws", "127.0.0.1:0", "-proxy-protocol", "-trusted-proxies", "10.0.0.1/8"])
        #expect(PipedProcess.exitCode(typo.waitForExit(timeout: 10)) == 2)
        #expect(typo.errorOutput.contains("did you mean 10.0.0.0/8?"), "\(typo.errorOutput)")
    }
}
