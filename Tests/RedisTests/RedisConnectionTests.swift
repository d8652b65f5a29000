@preconcurrency import Glibc
import Reactor
import Testing

@testable import Redis

/// `RedisConnection` against a real redis-server: pipelining, binary safety,
/// errors, databases, authentication, and its bounds.
@Suite("RedisConnection")
struct RedisConnectionTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func tenThousandCommandsInOneTurnGoOutInOneFlushAndAnswerInOrder() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, _) = try RedisTestSupport.connect(server, loop)
        var replies: [Result<RESPValue, RedisError>] = []
        var expectedBytes = 0
        for index in 0..<10_000 {
            var encoded: [UInt8] = []
            RESPEncoder.encodeCommand("INCR", "counter", into: &encoded)
            expectedBytes += encoded.count
            try redis.send("INCR", "counter") { result in
                // Callbacks run in send order: the n-th sees the n-th reply.
                #expect(replies.count == index)
                replies.append(result)
            }
        }
        // Nothing is written until the turn ends; then all of it at once.
        #expect(redis.pendingOutboundBytes == expectedBytes)
        #expect(redis.pendingReplyCount == 10_000)
        loop.runOnce(maxWaitMilliseconds: 0)
        #expect(redis.pendingOutboundBytes < expectedBytes)
        #expect(loop.run { replies.count == 10_000 })
        #expect(replies.map { try? $0.get() } == (1...10_000).map { .integer(Int64($0)) })
        #expect(redis.statistics.commandsSent == 10_000 && redis.statistics.repliesReceived == 10_000)
        redis.close()
    }

    @Test func everyByteValueAndMegabytesSurviveTheRoundTrip() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, _) = try RedisTestSupport.connect(server, loop)
        let every = (0...255).map { UInt8($0) }
        #expect(try RedisTestSupport.value(redis, loop, "SET", every, every.reversed() as [UInt8]) == .simpleString(b("OK")))
        #expect(try RedisTestSupport.value(redis, loop, "GET", every) == .bulkString(every.reversed()))
        var random = TestRandom(seed: 7)
        let big = random.bytes(3 << 20)
        big.withUnsafeBytes { raw in _ = try? redis.send("SET", "big", raw) { _ in } }
        #expect(try RedisTestSupport.value(redis, loop, "STRLEN", "big") == .integer(3 << 20))
        #expect(try RedisTestSupport.value(redis, loop, "GET", "big") == .bulkString(big))
        redis.close()
    }

    @Test func errorRepliesFailOnlyTheirCommand() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, _) = try RedisTestSupport.connect(server, loop)
        _ = try RedisTestSupport.value(redis, loop, "SET", "text", "abc")
        let failed = try RedisTestSupport.call(redis, loop, "INCR", "text")
        #expect(failed == .failure(.server("ERR value is not an integer or out of range")))
        let wrongType = try RedisTestSupport.call(redis, loop, "LPUSH", "text", "x")
        #expect((try? wrongType.get()) == nil)
        if case .failure(let error) = wrongType { #expect(error.serverErrorCode == "WRONGTYPE") }
        #expect(try RedisTestSupport.value(redis, loop, "GET", "text") == .bulkString(b("abc")))
        redis.close()
    }

    @Test func runTimeArgumentListsAreSentWithTheirCount() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, _) = try RedisTestSupport.connect(server, loop)
        let members = (0..<100).map { "m\($0)" }
        var reply: Result<RESPValue, RedisError>?
        try redis.send(
            argumentCount: 2 + members.count,
            { writer in
                writer.append("SADD")
                writer.append("set")
                writer.append(contentsOf: members)
            }, reply: { reply = $0 })
        #expect(loop.run { reply != nil })
        #expect(reply == .success(.integer(100)))
        redis.close()
    }

    @Test func selectedDatabasesAreKeptApart() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (zero, _) = try RedisTestSupport.connect(server, loop)
        let (five, _) = try RedisTestSupport.connect(server, loop, url: server.url + "/5")
        _ = try RedisTestSupport.value(zero, loop, "SET", "k", "in-zero")
        _ = try RedisTestSupport.value(five, loop, "SET", "k", "in-five")
        #expect(try RedisTestSupport.value(zero, loop, "GET", "k") == .bulkString(b("in-zero")))
        #expect(try RedisTestSupport.value(five, loop, "GET", "k") == .bulkString(b("in-five")))
        // Checked apart from our client too: the server's own view.
        let raw = try RawRedisClient(port: server.port)
        var request: [UInt8] = []
        RESPEncoder.encodeCommand("SELECT", 5, into: &request)
        RESPEncoder.encodeCommand("GET", "k", into: &request)
        #expect(try raw.roundTrip(request, replies: 2).values == [.simpleString(b("OK")), .bulkString(b("in-five"))])
        let outOfRange = try RedisTestSupport.connect(server, loop, url: server.url + "/99", waitForReady: false)
        #expect(loop.run { outOfRange.1.isDown })
        #expect(
            outOfRange.1.last?.description.contains("SELECT 99 refused: ERR DB index is out of range") == true,
            "\(outOfRange.1.states)")
        zero.close()
        five.close()
        outOfRange.0.close()
    }

    @Test func passwordFromTheURLAuthenticatesAndWrongOnesAreExplained() throws {
        let server = try RedisServer(["--requirepass", "s3cret"])
        let loop = try EventLoop()
        let (good, _) = try RedisTestSupport.connect(server, loop, url: "redis://:s3cret@127.0.0.1:\(server.port)")
        #expect(try RedisTestSupport.value(good, loop, "PING") == .simpleString(b("PONG")))
        let (wrong, wrongStates) = try RedisTestSupport.connect(
            server, loop, url: "redis://:nope@127.0.0.1:\(server.port)", waitForReady: false)
        #expect(loop.run { wrongStates.isDown })
        guard case .down(.authenticationFailed(let why), _) = wrongStates.last else {
            Issue.record("wrong password: \(wrongStates.states)")
            return
        }
        #expect(why.hasPrefix("WRONGPASS invalid username-password pair"))
        #expect(why.hasSuffix("(check the user and password in the Redis URL)"))
        #expect(throws: RedisError.notReady) { try wrong.send("PING") { _ in } }
        let (missing, missingStates) = try RedisTestSupport.connect(server, loop, waitForReady: false)
        #expect(loop.run { missingStates.isDown })
        #expect(missingStates.last?.description.contains("NOAUTH") == true)
        #expect(missingStates.last?.description.contains("the server requires a password") == true)
        for connection in [good, wrong, missing] { connection.close() }
    }

    @Test func aclUserWithAnEncodedPasswordAuthenticatesAsThatUser() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (admin, _) = try RedisTestSupport.connect(server, loop)
        let setUser = try RedisTestSupport.value(admin, loop, "ACL", "SETUSER", "alice", "on", ">p@ss:w/rd%", "~*", "&*", "+@all")
        #expect(setUser == .simpleString(b("OK")))
        let url = "redis://alice:p%40ss%3Aw%2Frd%25@127.0.0.1:\(server.port)/2"
        let (alice, _) = try RedisTestSupport.connect(server, loop, url: url)
        #expect(try RedisTestSupport.value(alice, loop, "ACL", "WHOAMI") == .bulkString(b("alice")))
        #expect(try RedisTestSupport.value(alice, loop, "CLIENT", "GETNAME") == .bulkString(b("machat")))
        let (wrong, states) = try RedisTestSupport.connect(
            server, loop, url: "redis://alice:guess@127.0.0.1:\(server.port)", waitForReady: false)
        #expect(loop.run { states.isDown })
        if case .down(.authenticationFailed, _) = states.last {} else { Issue.record("\(states.states)") }
        for connection in [admin, alice, wrong] { connection.close() }
    }

    @Test func failFastRefusesCommandsUntilReady() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, recorder) = try RedisTestSupport.connect(server, loop, waitForReady: false)
        #expect(throws: RedisError.notReady) { try redis.send("PING") { _ in } }
        #expect(loop.run { recorder.isReady })
        #expect(recorder.states.first == .connecting)
        #expect(try RedisTestSupport.value(redis, loop, "PING") == .simpleString(b("PONG")))
        redis.close()
        #expect(throws: RedisError.closed) { try redis.send("PING") { _ in } }
        #expect(recorder.last == .closed)
    }

    @Test func queuedCommandsGoOutInOrderOnceReady() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let redis = try RedisConnection(
            url: try RedisURL(server.url), loop: loop, options: RedisTestSupport.options(.queue(maxBytes: 1 << 20)))
        var replies: [RESPValue] = []
        for _ in 0..<500 { try redis.send("INCR", "n") { replies.append(try! $0.get()) } }
        #expect(redis.pendingOutboundBytes > 0)
        redis.start()
        #expect(loop.run { replies.count == 500 })
        #expect(replies == (1...500).map { .integer(Int64($0)) })
        redis.close()
    }

    @Test func boundsRefuseCommandsWithTypedErrors() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        var options = RedisTestSupport.options(.queue(maxBytes: 100))
        options.maxPendingReplies = 3
        let redis = try RedisConnection(url: try RedisURL(server.url), loop: loop, options: options)
        // Queued while down: the byte cap (checked before each command).
        try redis.send("SET", "k", [UInt8](repeating: 1, count: 150)) { _ in }
        #expect(throws: RedisError.outboundBufferFull(pending: 178, limit: 100)) { try redis.send("PING") { _ in } }
        redis.start()
        #expect(loop.run { redis.state == .ready && redis.pendingReplyCount == 0 })
        for _ in 0..<3 { try redis.send("PING") { _ in } }
        #expect(throws: RedisError.tooManyPendingReplies(limit: 3)) { try redis.send("PING") { _ in } }
        #expect(loop.run { redis.pendingReplyCount == 0 })
        try redis.send("PING") { _ in }
        var closedWith: Result<RESPValue, RedisError>?
        try redis.send("PING") { closedWith = $0 }
        redis.close()
        #expect(closedWith == .failure(.closed))
    }

    @Test func refusedConnectIsReportedAndRetried() throws {
        let port = try RedisServer.freePort()
        let loop = try EventLoop()
        let redis = try RedisConnection(
            url: try RedisURL("redis://127.0.0.1:\(port)"), loop: loop, options: RedisTestSupport.options())
        let recorder = StateRecorder()
        redis.delegate = recorder
        redis.start()
        #expect(loop.run { recorder.states.filter { if case .down = $0 { return true } else { return false } }.count >= 3 })
        guard case .down(.connectFailed(let address, let error), let retry) = recorder.last else {
            Issue.record("\(recorder.states)")
            return
        }
        #expect(address == "127.0.0.1:\(port)")
        #expect(error.errno == ECONNREFUSED)
        #expect(retry >= 1 && retry <= 75)
        redis.close()
    }

    @Test func handshakeThatNeverAnswersTimesOut() throws {
        let server = try RedisServer()
        server.pause()
        defer { server.resume() }
        let loop = try EventLoop()
        var options = RedisTestSupport.options()
        options.connectTimeoutMilliseconds = 150
        let (redis, recorder) = try RedisTestSupport.connect(server, loop, options: options, waitForReady: false)
        #expect(loop.run { recorder.isDown })
        guard case .down(.timeout(let what), _) = recorder.last else {
            Issue.record("\(recorder.states)")
            return
        }
        #expect(what.contains("within 150 ms"))
        server.resume()
        #expect(loop.run { recorder.isReady })
        redis.close()
    }

    @Test func silentServerIsDetectedByTheReplyTimeout() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        var options = RedisTestSupport.options()
        options.replyTimeoutMilliseconds = 100
        let (redis, recorder) = try RedisTestSupport.connect(server, loop, options: options)
        server.pause()
        defer { server.resume() }
        var result: Result<RESPValue, RedisError>?
        try redis.send("PING") { result = $0 }
        #expect(loop.run { result != nil })
        guard case .failure(.connectionLost(let why)) = result else {
            Issue.record("\(String(describing: result))")
            return
        }
        #expect(why.contains("no reply within 100 ms"))
        #expect(recorder.isDown || recorder.last == .connecting)
        server.resume()
        #expect(loop.run { recorder.isReady })
        #expect(try RedisTestSupport.value(redis, loop, "PING") == .simpleString(b("PONG")))
        redis.close()
    }
}
