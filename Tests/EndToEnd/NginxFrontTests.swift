@preconcurrency import Glibc
import Foundation
import Testing

/// TLS in front of MaChat with a real nginx running the shipped
/// `contrib/nginx` configurations: Python's `ssl` chats over TCP/TLS and
/// `websockets` over wss://, in one room with a plain member, and MaChat
/// sees (and limits) the clients' own addresses.
@Suite(.serialized, .ownThread, .enabled(if: NginxProcess.isAvailable, "needs /usr/sbin/nginx, its stream module and openssl"))
struct NginxFrontTests {
    /// A plain TCP member connecting straight to MaChat from `source`,
    /// joined once its own probe came back.
    private static func plainMember(port: UInt16, from source: String, name: String, room: String) throws -> LineClient {
        let client = try LineClient(port: port, from: source)
        client.send("{\"name\":\"\(name)\",\"room\":\"\(room)\"}\nprobe\n")
        guard client.readLine(timeout: 10) == "\(name):probe" else {
            throw HarnessError(description: "\(name) could not join \(room) from \(source)")
        }
        return client
    }

    /// Waits until a Python client (TLS or wss) has joined: it sends a probe
    /// until the probe comes back (its join travels through nginx first).
    private static func joined(_ client: PipedProcess, name: String) -> Bool {
        client.write("probe-\(name)\n")
        return client.waitForLine("\(name):probe-\(name)", timeout: 15)
    }

    /// Every member hears `sender`'s line.
    private static func heard(_ line: String, by clients: [PipedProcess], and plain: LineClient) -> Bool {
        clients.allSatisfy { $0.waitForLine(line, timeout: 10) } && plain.readLine(timeout: 10) == line
    }

    @Test func streamProxiesPassTheClientsAddressesByProxyProtocolForLogsAndLimits() throws {
        try #require(PythonWebSocketClient.isAvailable, "python3 with websockets")
        let server = try MachatProcess(
            ["-proxy-protocol", "-trusted-proxies", "127.0.0.1", "-max-connections-per-ip", "1"], tcpGateways: 1,
            wsGateways: 1)
        let tlsPort = try NginxProcess.freePort()
        let wssPort = try NginxProcess.freePort()
        let nginx = try NginxProcess(
            http: [], stream: ["machat-tcp-tls.conf", "machat-wss-stream.conf"],
            values: [
                "TCP_TLS_LISTEN": "127.0.0.1:\(tlsPort)", "TCP_UPSTREAM": "127.0.0.1:\(server.tcpPort)",
                "WSS_LISTEN": "127.0.0.1:\(wssPort)", "WS_UPSTREAM": "127.0.0.1:\(server.wsPort)",
            ], ports: [tlsPort, wssPort])
        let ca = nginx.certificate

        // 127.0.0.2 is not the proxy: a plain client.
        let plain = try Self.plainMember(port: server.tcpPort, from: "127.0.0.2", name: "Pat", room: "front")
        let tls = try PythonTLSClient.start(["tls", "127.0.0.1", String(tlsPort), ca, "127.0.0.3", "Tia", "front"])
        let tlsClientPort = try #require(PythonTLSClient.localPort(of: tls), "\(tls.errorOutput)")
        #expect(tls.readLine(timeout: 5)?.hasPrefix("tls TLSv1.") == true)
        let wss = try PythonTLSClient.start(["wss", "wss://127.0.0.1:\(wssPort)/mychat", ca, "127.0.0.4", "Wil", "front"])
        let wssClientPort = try #require(PythonTLSClient.localPort(of: wss), "\(wss.errorOutput)")
        #expect(Self.joined(tls, name: "Tia"), "\(tls.errorOutput)")
        #expect(Self.joined(wss, name: "Wil"), "\(wss.errorOutput)")
        _ = plain.readLines(2, timeout: 5)  // the two probes

        tls.write("over tls\n")
        #expect(Self.heard("Tia:over tls", by: [wss], and: plain))
        wss.write("over wss\n")
        #expect(Self.heard("Wil:over wss", by: [tls], and: plain))
        plain.send("over plain tcp\n")
        #expect(Self.heard("Pat:over plain tcp", by: [tls, wss], and: plain))

        // The limit of 1 connection per address applies to 127.0.0.3 and
        // 127.0.0.4 (from the PROXY headers), not to nginx's 127.0.0.1.
        let secondTLS = try PythonTLSClient.start(["tls", "127.0.0.1", String(tlsPort), ca, "127.0.0.3", "Tom", "front"])
        #expect(
            secondTLS.waitForLine("error: too many connections from your address (1 on this server); close some and try again"))
        #expect(secondTLS.waitForLine("closed"))
        let secondWSS = try PythonTLSClient.start(["wss", "wss://127.0.0.1:\(wssPort)/mychat", ca, "127.0.0.4", "Wes", "front"])
        let refusal = secondWSS.readLine(timeout: 15)
        #expect(
            refusal == "refused 429 error: too many connections from your address (1 on this server); close some and try again")
        let episode = "msg=\"connections from one address over the limit; refusing new ones until some close\""
        #expect(server.waitForLog("\(episode) addr=127.0.0.3 limit=1"))
        #expect(server.waitForLog("\(episode) addr=127.0.0.4 limit=1"))

        // Log lines carry the client's own address and port from the header.
        let bad = try PythonTLSClient.start(["tls", "127.0.0.1", String(tlsPort), ca, "127.0.0.6", "bad:name", "front"])
        let badPort = try #require(PythonTLSClient.localPort(of: bad))
        #expect(bad.waitForLine("error: name must not contain ':'"))
        #expect(server.waitForLog("msg=\"join refused\""))
        #expect(server.waitForLog("addr=127.0.0.6:\(badPort)"), "\(server.log)")

        // The chat page comes through the same proxy, byte for byte.
        let page = try PythonTLSClient.start(["page", "https://127.0.0.1:\(wssPort)/", ca, "127.0.0.5", String(server.wsPort)])
        let answer = page.readToEnd(timeout: 15)
        #expect(answer.contains("status 200\ntype text/html") && answer.contains("same yes"), "\(answer) \(page.errorOutput)")
        print(
            "nginx stream: TLS client 127.0.0.3:\(tlsClientPort), wss client 127.0.0.4:\(wssClientPort) chatted with a plain member;"
                + " per-address refusals logged for 127.0.0.3 and 127.0.0.4, a bad join as 127.0.0.6:\(badPort)")

        for client in [tls, wss] { client.closeInput() }
        #expect(wss.waitForLine("closed 1000"))
        shutdown(plain.fd.rawValue, Int32(SHUT_RDWR))
        #expect(server.stop() == 0)
        nginx.stop()
        #expect(access(nginx.directory, F_OK) != 0, "nginx's directory is removed")
    }

    @Test func theHTTPProxyUpgradesWebSocketsServesThePageAndIsNotLimitedAsOneClient() throws {
        try #require(PythonWebSocketClient.isAvailable, "python3 with websockets")
        // The TCP side sends PROXY headers (stream module); the WebSocket
        // side is nginx's HTTP proxy, which cannot, so nginx (127.0.0.1) is
        // trusted without a header there and not limited as one address.
        let server = try MachatProcess(
            ["-proxy-protocol=tcp", "-trusted-proxies", "127.0.0.1", "-max-connections-per-ip", "1"], tcpGateways: 1,
            wsGateways: 1)
        let tlsPort = try NginxProcess.freePort()
        let httpsPort = try NginxProcess.freePort()
        let nginx = try NginxProcess(
            http: ["machat-wss.conf"], stream: ["machat-tcp-tls.conf"],
            values: [
                "TCP_TLS_LISTEN": "127.0.0.1:\(tlsPort)", "TCP_UPSTREAM": "127.0.0.1:\(server.tcpPort)",
                "HTTPS_LISTEN": "127.0.0.1:\(httpsPort)", "WS_UPSTREAM": "127.0.0.1:\(server.wsPort)",
            ], ports: [tlsPort, httpsPort])
        let ca = nginx.certificate
        let url = "wss://127.0.0.1:\(httpsPort)/mychat"

        let plain = try Self.plainMember(port: server.tcpPort, from: "127.0.0.2", name: "Pat", room: "front")
        let tls = try PythonTLSClient.start(["tls", "127.0.0.1", String(tlsPort), ca, "127.0.0.3", "Tia", "front"])
        #expect(PythonTLSClient.localPort(of: tls) != nil, "\(tls.errorOutput)")
        let wil = try PythonTLSClient.start(["wss", url, ca, "127.0.0.4", "Wil", "front"])
        let wes = try PythonTLSClient.start(["wss", url, ca, "127.0.0.4", "Wes", "front"])
        for (client, name) in [(tls, "Tia"), (wil, "Wil"), (wes, "Wes")] {
            if name != "Tia" { #expect(PythonTLSClient.localPort(of: client) != nil, "\(client.errorOutput)") }
            #expect(Self.joined(client, name: name), "\(name): \(client.errorOutput) \(nginx.errorLog)")
        }
        _ = plain.readLines(3, timeout: 5)

        wes.write("through the http proxy\n")
        #expect(Self.heard("Wes:through the http proxy", by: [tls, wil], and: plain))
        tls.write("through the stream proxy\n")
        #expect(Self.heard("Tia:through the stream proxy", by: [wil, wes], and: plain))

        // The TCP side still limits the client's own address.
        let secondTLS = try PythonTLSClient.start(["tls", "127.0.0.1", String(tlsPort), ca, "127.0.0.3", "Tom", "front"])
        #expect(
            secondTLS.waitForLine("error: too many connections from your address (1 on this server); close some and try again"))

        let page = try PythonTLSClient.start(["page", "https://127.0.0.1:\(httpsPort)/", ca, "127.0.0.5", String(server.wsPort)])
        let answer = page.readToEnd(timeout: 15)
        #expect(answer.contains("status 200\ntype text/html") && answer.contains("same yes"), "\(answer) \(page.errorOutput)")
        print("nginx http proxy: two wss clients through one nginx address joined under -max-connections-per-ip 1; page served")

        for client in [tls, wil, wes] { client.closeInput() }
        for client in [wil, wes] { #expect(client.waitForLine("closed 1000")) }
        shutdown(plain.fd.rawValue, Int32(SHUT_RDWR))
        #expect(server.stop() == 0)
        nginx.stop()
    }
}
