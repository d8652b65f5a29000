import Testing
import WebSocket

@Suite struct HandshakeTests {
    /// The RFC 6455 §1.3 example, as a list of header lines to vary.
    static let exampleHeaders: [(name: String, value: String)] = [
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Origin", "http://example.com"),
        ("Sec-WebSocket-Version", "13"),
    ]

    static func request(
        method: String = "GET", version: String = "HTTP/1.1",
        headers: [(name: String, value: String)] = exampleHeaders
    ) -> [UInt8] {
        var text = "\(method) /chat \(version)\r\n"
        for (name, value) in headers {
            text += "\(name): \(value)\r\n"
        }
        return wsBytes(text + "\r\n")
    }

    /// Parses and validates a request given as bytes.
    static func validate(_ bytes: [UInt8]) throws -> Result<String, HandshakeError> {
        var parser = HTTPRequestParser()
        guard case .complete(let head, _) = parser.wsFeed(bytes) else {
            Issue.record("request did not parse")
            throw HandshakeTestFailure()
        }
        return ServerHandshake.validate(head)
    }

    static func replacing(_ name: String, with value: String?) -> [(name: String, value: String)] {
        var headers = exampleHeaders.filter { $0.name != name }
        if let value {
            headers.append((name, value))
        }
        return headers
    }

    struct HandshakeTestFailure: Error {}

    @Test func rfcExampleIsAcceptedWithTheExact101Response() throws {
        let result = try Self.validate(Self.request())
        let accept = try result.get()
        #expect(accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let expected = wsBytes(
            "HTTP/1.1 101 Switching Protocols\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        #expect(ServerHandshake.switchingProtocols(accept: accept) == expected)
    }

    @Test func requestSplitAtEveryOffsetIsAccepted() throws {
        let bytes = Self.request()
        for cut in 0...bytes.count {
            var parser = HTTPRequestParser()
            var result = parser.wsFeed(Array(bytes[..<cut]))
            if case .needMore = result {
                result = parser.wsFeed(Array(bytes[cut...]))
            }
            guard case .complete(let head, let leftover) = result else {
                Issue.record("split at \(cut) did not complete")
                continue
            }
            #expect(leftover.isEmpty)
            #expect(try ServerHandshake.validate(head).get() == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        }
    }

    @Test func headerNamesAndTokensAreCaseInsensitive() throws {
        let headers: [(name: String, value: String)] = [
            ("HOST", "server.example.com"),
            ("upgrade", "WebSocket"),
            ("CONNECTION", "UPGRADE"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("SEC-WEBSOCKET-VERSION", "13"),
        ]
        #expect(try Self.validate(Self.request(headers: headers)).get() == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func connectionHeaderWithSeveralTokensIsAccepted() throws {
        let headers = Self.replacing("Connection", with: "keep-alive, Upgrade")
        #expect(try Self.validate(Self.request(headers: headers)).get() == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func missingUpgradeIsRefusedWith400() throws {
        let result = try Self.validate(Self.request(headers: Self.replacing("Upgrade", with: nil)))
        #expect(result == .failure(.notAnUpgrade))
        let expected = wsBytes(
            "HTTP/1.1 400 Bad Request\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 36\r\n"
                + "Connection: close\r\n\r\n"
                + "error: expected a websocket upgrade\n")
        #expect(HandshakeError.notAnUpgrade.responseBytes() == expected)
    }

    @Test func connectionWithoutUpgradeTokenIsRefusedWith400() throws {
        let result = try Self.validate(Self.request(headers: Self.replacing("Connection", with: "keep-alive")))
        #expect(result == .failure(.notAnUpgrade))
        #expect(HandshakeError.notAnUpgrade.status == 400)
    }

    @Test func version8IsRefusedWith426AndOurVersion() throws {
        let result = try Self.validate(Self.request(headers: Self.replacing("Sec-WebSocket-Version", with: "8")))
        #expect(result == .failure(.unsupportedVersion))
        let expected = wsBytes(
            "HTTP/1.1 426 Upgrade Required\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 45\r\n"
                + "Connection: close\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n"
                + "error: unsupported websocket version, use 13\n")
        #expect(HandshakeError.unsupportedVersion.responseBytes() == expected)
    }

    @Test func missingVersionIsRefusedWith426() throws {
        let result = try Self.validate(Self.request(headers: Self.replacing("Sec-WebSocket-Version", with: nil)))
        #expect(result == .failure(.unsupportedVersion))
    }

    @Test(arguments: [
        "not base64!",  // not base64 at all
        "dGhlIHNhbXBsZSBub25jZQ",  // unpadded
        "dGhlIHNhbXBsZSBub25j",  // 15 bytes
        "dGhlIHNhbXBsZSBub25jZSE=",  // 17 bytes
        "",
    ])
    func badKeyIsRefusedWith400(key: String) throws {
        let result = try Self.validate(Self.request(headers: Self.replacing("Sec-WebSocket-Key", with: key)))
        #expect(result == .failure(.invalidKey))
        #expect(HandshakeError.invalidKey.status == 400)
    }

    @Test func repeatedOrMissingKeyIsRefusedWith400() throws {
        let twice = Self.exampleHeaders + [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
        #expect(try Self.validate(Self.request(headers: twice)) == .failure(.invalidKey))
        let none = Self.replacing("Sec-WebSocket-Key", with: nil)
        #expect(try Self.validate(Self.request(headers: none)) == .failure(.invalidKey))
    }

    @Test func nonGetIsRefusedWith405AndAllow() throws {
        #expect(try Self.validate(Self.request(method: "POST")) == .failure(.methodNotAllowed))
        #expect(HandshakeError.methodNotAllowed.status == 405)
        #expect(HandshakeError.methodNotAllowed.extraHeaders.map { "\($0.0): \($0.1)" } == ["Allow: GET"])
    }

    @Test func http10IsRefusedWith400() throws {
        #expect(try Self.validate(Self.request(version: "HTTP/1.0")) == .failure(.httpVersionTooOld))
    }

    @Test func missingHostIsRefusedWith400() throws {
        #expect(try Self.validate(Self.request(headers: Self.replacing("Host", with: nil))) == .failure(.missingHost))
    }

    @Test func plainResponseHasExactBytes() {
        let bytes = HTTPResponse.bytes(
            status: 404, reason: "Not Found", extraHeaders: [("X-A", "1"), ("X-B", "2")], body: "héllo\n")
        let expected = wsBytes(
            "HTTP/1.1 404 Not Found\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 7\r\n"
                + "Connection: close\r\n"
                + "X-A: 1\r\nX-B: 2\r\n\r\n"
                + "héllo\n")
        #expect(bytes == expected)
    }
}
