import Foundation
import Testing

/// The page's HTTP side on the real gateway, over a raw socket: what a browser gets for the
/// page and its assets, revalidation, HEAD, unknown paths, and `-web=false`.
extension BrowserPageTests {
    /// One HTTP/1.1 response as received: status line, header fields (names lowercased), body.
    struct RawResponse {
        let statusLine: String
        let fields: [String: String]
        let body: String

        /// Splits `raw` at the first empty line (RFC 9112 §2.1); fields are `name: value` lines.
        init(_ raw: String) {
            let head: Substring
            if let end = raw.range(of: "\r\n\r\n") {
                head = raw[..<end.lowerBound]
                body = String(raw[end.upperBound...])
            } else {
                head = Substring(raw)
                body = ""
            }
            let lines = head.components(separatedBy: "\r\n")
            statusLine = lines.first ?? ""
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            self.fields = fields
        }
    }

    /// Sends `method target` with `extra` header lines and reads the response until the server closes.
    static func request(_ method: String, _ target: String, port: UInt16, extra: String = "") throws -> RawResponse {
        let client = try LineClient(port: port)
        client.send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: */*\r\n\(extra)\r\n")
        return RawResponse(client.readToClose(timeout: 5))
    }

    @Test func thePageIsServedWithSecurityHeadersAndRevalidatedWithItsETag() throws {
        let server = try MachatProcess()
        let page = try Self.request("GET", "/", port: server.wsPort)
        #expect(page.statusLine == "HTTP/1.1 200 OK")
        #expect(page.fields["content-type"] == "text/html; charset=utf-8")
        #expect(page.fields["content-length"] == String(page.body.utf8.count))
        #expect(page.fields["content-security-policy"]?.contains("default-src 'none'") == true)
        #expect(page.fields["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(page.fields["x-content-type-options"] == "nosniff")
        #expect(page.fields["cache-control"] == "no-cache")
        #expect(page.body.hasPrefix("<!doctype html>"))
        let etag = try #require(page.fields["etag"], "the page has an entity tag")
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count > 2, "a strong tag: \(etag)")

        // RFC 9110 §13.1.2: a matching If-None-Match gets 304 and no content.
        let again = try Self.request("GET", "/", port: server.wsPort, extra: "If-None-Match: \(etag)\r\n")
        #expect(again.statusLine == "HTTP/1.1 304 Not Modified")
        #expect(again.fields["etag"] == etag)
        #expect(again.body.isEmpty)
        let stale = try Self.request("GET", "/", port: server.wsPort, extra: "If-None-Match: \"0000\"\r\n")
        #expect(stale.statusLine == "HTTP/1.1 200 OK")

        // RFC 9110 §9.3.2: HEAD gets GET's header fields and no content.
        let head = try Self.request("HEAD", "/", port: server.wsPort)
        #expect(head.statusLine == "HTTP/1.1 200 OK")
        #expect(head.fields["content-length"] == page.fields["content-length"])
        #expect(head.fields["etag"] == etag)
        #expect(head.fields["content-security-policy"] == page.fields["content-security-policy"])
        #expect(head.body.isEmpty)
        #expect(server.stop() == 0)
    }

    @Test func theHashedScriptIsImmutableAndUnknownPathsAreNotFound() throws {
        let server = try MachatProcess()
        let page = try Self.request("GET", "/", port: server.wsPort)
        let match = try #require(
            page.body.firstMatch(of: try Regex(#"src="(/app\.[0-9a-f]{16}\.js)""#)), "the page names a hashed app.js")
        let path = try #require(match.output[1].substring.map(String.init))
        let script = try Self.request("GET", path, port: server.wsPort)
        #expect(script.statusLine == "HTTP/1.1 200 OK")
        #expect(script.fields["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.fields["cache-control"]?.contains("immutable") == true, "\(script.fields)")
        #expect(script.fields["x-content-type-options"] == "nosniff")
        let source = try String(contentsOfFile: BrowserSession.repositoryRoot + "/web/app.js", encoding: .utf8)
        #expect(script.body == source, "the gateway serves web/app.js byte for byte")

        let missing = try Self.request("GET", "/nope", port: server.wsPort)
        #expect(missing.statusLine == "HTTP/1.1 404 Not Found", "got \(missing.statusLine)")
        #expect(try Self.request("GET", "/app.js", port: server.wsPort).statusLine.hasPrefix("HTTP/1.1 404"))
        #expect(server.stop() == 0)
    }

    @Test func withWebTurnedOffThePageIsNotFoundButTheChatStillUpgrades() throws {
        let server = try MachatProcess(["-web=false"])
        let page = try Self.request("GET", "/", port: server.wsPort)
        #expect(page.statusLine.hasPrefix("HTTP/1.1 404"), "got \(page.statusLine)")
        #expect(!page.body.contains("<html"))
        // Python's websockets as the WebSocket client: /mychat still upgrades and chats.
        try #require(PythonWebSocketClient.isAvailable, "python3 with the 'websockets' package is required for this test")
        let python = try PythonWebSocketClient.start(url: "ws://127.0.0.1:\(server.wsPort)/mychat", name: "Py", room: "dev")
        python.write("still chatting\n")
        #expect(python.waitForLine("Py:still chatting", timeout: 15), "python stderr: \(python.errorOutput)")
        python.closeInput()
        #expect(PipedProcess.exitCode(python.waitForExit(timeout: 10)) == 0, "python stderr: \(python.errorOutput)")
        #expect(server.stop() == 0)
    }
}
