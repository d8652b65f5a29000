import Testing
import WebSocket

@Suite struct HTTPRequestParserTests {
    static let sampleRequest = wsBytes(
        "GET /mychat?room=dev HTTP/1.1\r\n"
            + "Host: server.example.com\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Origin: http://example.com\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n")

    /// Runs the parser over reads split at `cuts` and returns the final result; reads after
    /// completion are appended to the leftover, as a connection would pass them on.
    static func parse(_ bytes: [UInt8], splitAt cuts: [Int] = [], maxHeadBytes: Int = 8192) -> HTTPParseResult {
        var parser = HTTPRequestParser(maxHeadBytes: maxHeadBytes)
        var start = 0
        for cut in cuts + [bytes.count] {
            let result = parser.wsFeed(Array(bytes[start..<cut]))
            start = cut
            switch result {
            case .needMore:
                continue
            case .complete(let head, let leftover):
                return .complete(head, leftover: leftover + bytes[cut...])
            case .failure:
                return result
            }
        }
        return .needMore
    }

    static func head(_ result: HTTPParseResult) -> (HTTPRequestHead, [UInt8])? {
        if case .complete(let head, let leftover) = result {
            return (head, leftover)
        }
        return nil
    }

    static func failure(_ result: HTTPParseResult) -> HTTPError? {
        if case .failure(let error) = result {
            return error
        }
        return nil
    }

    @Test func parsesRequestLineAndHeadersInOrder() throws {
        let (head, leftover) = try #require(Self.head(Self.parse(Self.sampleRequest)))
        #expect(head.method == "GET")
        #expect(head.target == "/mychat?room=dev")
        #expect(head.path == "/mychat")
        #expect(head.version == HTTPVersion(major: 1, minor: 1))
        #expect(
            head.headers.map(\.name) == [
                "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Origin", "Sec-WebSocket-Version",
            ])
        #expect(head.value("origin") == "http://example.com")
        #expect(leftover == [])
    }

    @Test func bytesAfterTheBlankLineAreLeftOver() throws {
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let (_, leftover) = try #require(Self.head(Self.parse(Self.sampleRequest + frame)))
        #expect(leftover == frame)
    }

    @Test func everySplitPointGivesTheSameHeadAndLeftover() throws {
        let input = Self.sampleRequest + [1, 2, 3]
        for cut in 0...input.count {
            let (head, leftover) = try #require(Self.head(Self.parse(input, splitAt: [cut])))
            #expect(head.headers.count == 6)
            #expect(head.value("Sec-WebSocket-Key") == "dGhlIHNhbXBsZSBub25jZQ==")
            #expect(leftover == [1, 2, 3])
        }
        let oneByteAtATime = Self.parse(input, splitAt: Array(0..<input.count))
        let (_, leftover) = try #require(Self.head(oneByteAtATime))
        #expect(leftover == [1, 2, 3])
    }

    @Test func toleratesBareLineFeeds() throws {
        let input = wsBytes("GET / HTTP/1.1\nHost: a\nUpgrade: websocket\n\nrest")
        let (head, leftover) = try #require(Self.head(Self.parse(input)))
        #expect(head.value("upgrade") == "websocket")
        #expect(leftover == wsBytes("rest"))
    }

    @Test func skipsEmptyLinesBeforeTheRequestLine() throws {
        let (head, _) = try #require(Self.head(Self.parse(wsBytes("\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"))))
        #expect(head.target == "/x")
    }

    @Test func headerValuesAreTrimmedAndNamesCaseInsensitive() throws {
        let input = wsBytes("GET / HTTP/1.1\r\nX-Thing: \t padded value \t\r\nx-empty:\r\n\r\n")
        let (head, _) = try #require(Self.head(Self.parse(input)))
        #expect(head.value("x-thing") == "padded value")
        #expect(head.value("X-THING") == "padded value")
        #expect(head.value("X-Empty") == "")
        #expect(head.value("Missing") == nil)
    }

    @Test func tokensAreFoundAcrossListsAndRepeatedHeaders() throws {
        let input = wsBytes("GET / HTTP/1.1\r\nConnection: keep-alive\r\nconnection: , UPGRADE ,\r\n\r\n")
        let (head, _) = try #require(Self.head(Self.parse(input)))
        #expect(head.hasToken("upgrade", in: "Connection"))
        #expect(head.hasToken("Keep-Alive", in: "CONNECTION"))
        #expect(!head.hasToken("close", in: "Connection"))
        #expect(!head.hasToken("upgrad", in: "Connection"))
        #expect(head.values("connection") == ["keep-alive", ", UPGRADE ,"])
    }

    @Test(arguments: [
        "GET /\r\n\r\n",  // two parts
        "GET  / HTTP/1.1\r\n\r\n",  // double space
        "GET / HTTP/1.1 extra\r\n\r\n",  // four parts
        "GET / HTTP/11\r\n\r\n",  // bad version
        "GET / http/1.1\r\n\r\n",  // version is case-sensitive
        "G(T / HTTP/1.1\r\n\r\n",  // method not a token
        "GET /a\u{7F}b HTTP/1.1\r\n\r\n",  // control character in target
    ])
    func malformedRequestLineIs400(text: String) {
        let error = Self.failure(Self.parse(wsBytes(text)))
        #expect(error == .malformedStartLine)
        #expect(error?.status == 400)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",  // RFC 9112 §5.1: no space before the colon
        "GET / HTTP/1.1\r\n: value\r\n\r\n",
        "GET / HTTP/1.1\r\nBad\u{01}Name: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\u{00}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
    ])
    func malformedHeaderIs400(text: String) {
        let error = Self.failure(Self.parse(wsBytes(text)))
        #expect(error == .malformedHeader)
        #expect(error?.status == 400)
    }

    @Test func foldedHeaderLineIs400() {
        let error = Self.failure(Self.parse(wsBytes("GET / HTTP/1.1\r\nX-A: a\r\n  continued\r\n\r\n")))
        #expect(error == .obsoleteLineFolding)
        #expect(error?.status == 400)
    }

    @Test func headOverTheLimitIs431() {
        let request = wsBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")  // 27 bytes
        #expect(Self.head(Self.parse(request, maxHeadBytes: 27)) != nil)
        let error = Self.failure(Self.parse(request, maxHeadBytes: 26))
        #expect(error == .headTooLarge)
        #expect(error?.status == 431)
    }

    @Test func endlessHeadIs431WithoutBufferingEverything() {
        var parser = HTTPRequestParser(maxHeadBytes: 100)
        var result = parser.wsFeed(wsBytes("GET / HTTP/1.1\r\n"))
        for _ in 0..<10 where Self.failure(result) == nil {
            result = parser.wsFeed(wsBytes("X-Filler: 0123456789\r\n"))
        }
        #expect(Self.failure(result) == .headTooLarge)
    }

    @Test func bigReadWithHeadInsideTheLimitKeepsItsLeftover() throws {
        let body = [UInt8](repeating: 7, count: 20_000)
        let (_, leftover) = try #require(Self.head(Self.parse(Self.sampleRequest + body, maxHeadBytes: 256)))
        #expect(leftover == body)
    }

    @Test func feedingAfterCompletionIsAnError() {
        var parser = HTTPRequestParser()
        _ = parser.wsFeed(Self.sampleRequest)
        #expect(Self.failure(parser.wsFeed([0x81])) == .alreadyComplete)
    }

    @Test func errorResponseIsAPlainTextClose() {
        let expected = wsBytes(
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 30\r\n"
                + "Connection: close\r\n\r\n"
                + "error: request head too large\n")
        #expect(HTTPError.headTooLarge.responseBytes() == expected)
    }
}
