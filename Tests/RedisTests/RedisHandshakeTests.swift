import Testing

@testable import Redis

/// The connection set-up, driven without sockets: the commands it sends and
/// what each reply means.
@Suite("RedisHandshake")
struct RedisHandshakeTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }
    private let ok = RESPValue.simpleString(Array("OK".utf8))
    private let pong = RESPValue.simpleString(Array("PONG".utf8))

    @Test func plainURLOnlyPings() {
        let handshake = RedisHandshake(url: RedisURL(host: "h"), clientName: nil, selectsDatabase: true, scripts: [])
        var bytes: [UInt8] = []
        handshake.encode(into: &bytes)
        #expect(bytes == b("*1\r\n$4\r\nPING\r\n"))
    }

    @Test func everyStepIsPipelinedInOrder() {
        let script = RedisScript(source: "return 1")
        let url = RedisURL(host: "h", user: b("alice"), password: b("pw"), database: 3)
        let handshake = RedisHandshake(url: url, clientName: b("machat"), selectsDatabase: true, scripts: [script])
        #expect(
            handshake.steps == [
                .auth(user: b("alice"), password: b("pw")), .select(3), .setName(b("machat")), .loadScript(script), .ping,
            ])
        var bytes: [UInt8] = []
        handshake.encode(into: &bytes)
        var expected = b("*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n")
        expected += b("*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$6\r\nmachat\r\n")
        expected += b("*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$8\r\nreturn 1\r\n*1\r\n$4\r\nPING\r\n")
        #expect(bytes == expected)
    }

    @Test func subscriberDoesNotSelect() {
        let handshake = RedisHandshake(
            url: RedisURL(host: "h", password: b("pw"), database: 3), clientName: nil, selectsDatabase: false, scripts: [])
        #expect(handshake.steps == [.auth(user: nil, password: b("pw")), .ping])
    }

    @Test func readyOnlyAfterEveryReplyIncludingPong() {
        let script = RedisScript(source: "return 1")
        var handshake = RedisHandshake(
            url: RedisURL(host: "h", password: b("pw"), database: 1), clientName: nil, selectsDatabase: true, scripts: [script])
        #expect(handshake.receive(ok) == .pending)
        #expect(handshake.receive(ok) == .pending)
        #expect(handshake.receive(.bulkString(script.sha1)) == .pending)
        #expect(!handshake.isComplete)
        #expect(handshake.receive(pong) == .ready)
        #expect(handshake.isComplete)
    }

    @Test func refusedPasswordIsAnAuthenticationFailure() {
        var handshake = RedisHandshake(
            url: RedisURL(host: "h", password: b("bad")), clientName: nil, selectsDatabase: true, scripts: [])
        let outcome = handshake.receive(.error(b("WRONGPASS invalid username-password pair or user is disabled.")))
        #expect(
            outcome
                == .failed(
                    .authenticationFailed(
                        "WRONGPASS invalid username-password pair or user is disabled. (check the user and password in the Redis URL)"
                    )))
    }

    @Test func missingPasswordIsNamedAsSuch() {
        var handshake = RedisHandshake(url: RedisURL(host: "h"), clientName: nil, selectsDatabase: true, scripts: [])
        guard case .failed(.authenticationFailed(let why)) = handshake.receive(.error(b("NOAUTH Authentication required.")))
        else {
            Issue.record("NOAUTH was not an authentication failure")
            return
        }
        #expect(why.contains("the server requires a password"))
    }

    @Test func refusedSelectFailsButRefusedScriptOnlyWarns() {
        let script = RedisScript(source: "syntax error(")
        var handshake = RedisHandshake(
            url: RedisURL(host: "h", database: 99), clientName: nil, selectsDatabase: true, scripts: [script])
        #expect(
            handshake.receive(.error(b("ERR DB index is out of range")))
                == .failed(.handshakeFailed("SELECT 99 refused: ERR DB index is out of range")))
        var second = RedisHandshake(url: RedisURL(host: "h"), clientName: nil, selectsDatabase: true, scripts: [script])
        guard case .warning = second.receive(.error(b("ERR Error compiling script"))) else {
            Issue.record("a script error should not stop the connection")
            return
        }
        #expect(second.receive(pong) == .ready)
    }

    @Test func wrongShapedRepliesAreUnexpected() {
        let script = RedisScript(source: "return 1")
        var handshake = RedisHandshake(url: RedisURL(host: "h"), clientName: nil, selectsDatabase: true, scripts: [script])
        guard case .failed(.unexpectedReply) = handshake.receive(.bulkString(b("0000"))) else {
            Issue.record("a SHA-1 mismatch must fail")
            return
        }
    }
}
