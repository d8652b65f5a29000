import Testing
import WebSocket

@Suite struct ClientHandshakeTests {
    /// The 16 bytes whose base64 is the RFC 6455 example key "dGhlIHNhbXBsZSBub25jZQ==".
    static let nonce = wsBytes("the sample nonce")

    static func handshake(origin: String? = nil) -> ClientHandshake {
        ClientHandshake(host: "localhost:8099", path: "/mychat", origin: origin, key: nonce)
    }

    static let goodResponse = ServerHandshake.switchingProtocols(accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

    @Test func requestHasExactBytes() {
        let expected = wsBytes(
            "GET /mychat HTTP/1.1\r\n"
                + "Host: localhost:8099\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n")
        #expect(Self.handshake().requestBytes() == expected)
        #expect(Self.handshake().expectedAccept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func originIsSentWhenGiven() {
        let text = String(decoding: Self.handshake(origin: "http://localhost").requestBytes(), as: UTF8.self)
        #expect(text.hasSuffix("Sec-WebSocket-Version: 13\r\nOrigin: http://localhost\r\n\r\n"))
    }

    @Test func serverAcceptsTheClientRequest() throws {
        let client = Self.handshake(origin: "http://localhost")
        var parser = HTTPRequestParser()
        guard case .complete(let head, _) = parser.wsFeed(client.requestBytes()) else {
            Issue.record("client request did not parse")
            return
        }
        #expect(try ServerHandshake.validate(head).get() == client.expectedAccept)
        #expect(head.value("Origin") == "http://localhost")
    }

    @Test func switchingProtocolsIsAcceptedAtEverySplitWithLeftover() {
        let frame = wsServerFrame(.text, wsBytes("hi"))
        let input = Self.goodResponse + frame
        for cut in 0...input.count {
            var client = Self.handshake()
            var result = client.wsReceive(Array(input[..<cut]))
            var rest = Array(input[cut...])
            if case .needMore = result {
                result = client.wsReceive(rest)
                rest = []
            }
            guard case .upgraded(let head, let leftover) = result else {
                Issue.record("split at \(cut) did not upgrade: \(result)")
                continue
            }
            #expect(head.status == 101)
            #expect(leftover + rest == frame)
        }
    }

    @Test func wrongAcceptIsRejected() {
        var client = Self.handshake()
        let result = client.wsReceive(ServerHandshake.switchingProtocols(accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo"))
        guard case .failure(let error) = result else {
            Issue.record("expected failure, got \(result)")
            return
        }
        #expect(error == .acceptMismatch)
    }

    @Test func non101StatusIsRejected() {
        var client = Self.handshake()
        let result = client.wsReceive(HandshakeError.unsupportedVersion.responseBytes())
        guard case .failure(let error) = result else {
            Issue.record("expected failure, got \(result)")
            return
        }
        #expect(error == .unexpectedStatus(426, "Upgrade Required"))
    }

    @Test func missingUpgradeHeaderIsRejected() {
        var client = Self.handshake()
        let response = wsBytes(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        guard case .failure(let error) = client.wsReceive(response) else {
            Issue.record("expected failure")
            return
        }
        #expect(error == .notAnUpgrade)
    }

    @Test func garbageStatusLineIsMalformed() {
        var client = Self.handshake()
        guard case .failure(let error) = client.wsReceive(wsBytes("SSH-2.0-OpenSSH\r\n\r\n")) else {
            Issue.record("expected failure")
            return
        }
        #expect(error == .malformedResponse(.malformedStartLine))
    }
}
