import Reactor
import Testing

@testable import Redis

/// EVALSHA with scripts loaded before `.ready`, and transparent recovery from
/// NOSCRIPT with the order guarantee `evalScript` documents.
@Suite("RedisConnection scripts")
struct RedisScriptTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }
    private let increment = RedisScript(source: "return redis.call('INCR', KEYS[1])")

    private func scriptExists(_ script: RedisScript, on server: RedisServer) throws -> Bool {
        var request: [UInt8] = []
        RESPEncoder.encodeCommand("SCRIPT", "EXISTS", script.sha1, into: &request)
        return try RawRedisClient(port: server.port).roundTrip(request, replies: 1).values == [.array([.integer(1)])]
    }

    private func eval(
        _ redis: RedisConnection, _ loop: EventLoop, _ script: RedisScript, keys: [String], arguments: [[UInt8]]
    ) throws -> Result<RESPValue, RedisError> {
        var result: Result<RESPValue, RedisError>?
        try redis.evalScript(script, keys: keys, arguments: arguments) { result = $0 }
        guard loop.run(until: { result != nil }) else { throw RedisHarnessError(description: "no script reply") }
        return result!
    }

    @Test func registeredScriptIsLoadedBeforeTheConnectionIsReady() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        #expect(try !scriptExists(increment, on: server))
        let (redis, _) = try RedisTestSupport.connect(server, loop, scripts: [increment])
        #expect(try scriptExists(increment, on: server))
        #expect(try eval(redis, loop, increment, keys: ["n"], arguments: []) == .success(.integer(1)))
        #expect(redis.statistics.scriptRetries == 0)
        redis.close()
    }

    @Test func keysAndBinaryArgumentsReachTheScript() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, _) = try RedisTestSupport.connect(server, loop)
        let echo = RedisScript(source: "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}")
        let every = (0...255).map { UInt8($0) }
        // First use: SCRIPT LOAD goes out just before the call, so no NOSCRIPT.
        let reply = try eval(redis, loop, echo, keys: ["k1", "k2"], arguments: [every, []])
        #expect(reply == .success(.array([.bulkString(b("k1")), .bulkString(b("k2")), .bulkString(every), .integer(2)])))
        #expect(redis.statistics.scriptRetries == 0)
        #expect(try scriptExists(echo, on: server))
        var mixed: Result<RESPValue, RedisError>?
        try redis.evalScript(
            echo, keyCount: 2, argumentCount: 2,
            { writer in
                writer.append("room:1")
                writer.append(Substring("room:2"))
                writer.append(42)
                writer.append(every)
            }, reply: { mixed = $0 })
        #expect(loop.run { mixed != nil })
        #expect(
            mixed == .success(.array([.bulkString(b("room:1")), .bulkString(b("room:2")), .bulkString(b("42")), .integer(2)])))
        redis.close()
    }

    @Test func noscriptAfterScriptFlushIsRetriedAfterTheCommandsBehindIt() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, _) = try RedisTestSupport.connect(server, loop, scripts: [increment])
        #expect(try eval(redis, loop, increment, keys: ["n"], arguments: []) == .success(.integer(1)))
        var flush: [UInt8] = []
        RESPEncoder.encodeCommand("SCRIPT", "FLUSH", into: &flush)
        #expect(try RawRedisClient(port: server.port).roundTrip(flush, replies: 1).values == [.simpleString(b("OK"))])

        // One turn: script, plain INCR, script. Both script calls meet
        // NOSCRIPT; the INCR runs first (2); the retries follow in order (3, 4).
        var order: [(String, RESPValue?)] = []
        try redis.evalScript(increment, keys: ["n"], arguments: [String]()) { order.append(("first script", try? $0.get())) }
        try redis.send("INCR", "n") { order.append(("incr", try? $0.get())) }
        try redis.evalScript(increment, keys: ["n"], arguments: [String]()) { order.append(("second script", try? $0.get())) }
        #expect(loop.run { order.count == 3 })
        #expect(order.map(\.0) == ["incr", "first script", "second script"])
        #expect(order.map(\.1) == [.integer(2), .integer(3), .integer(4)])
        #expect(redis.statistics.scriptRetries == 2)
        #expect(try scriptExists(increment, on: server))
        // Later calls need no retry.
        #expect(try eval(redis, loop, increment, keys: ["n"], arguments: []) == .success(.integer(5)))
        #expect(redis.statistics.scriptRetries == 2)
        redis.close()
    }

    @Test func scriptErrorsReachTheCallerAndABrokenScriptIsNotRetriedForever() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, recorder) = try RedisTestSupport.connect(server, loop)
        _ = try RedisTestSupport.value(redis, loop, "SET", "text", "abc")
        let failing = try eval(redis, loop, increment, keys: ["text"], arguments: [])
        guard case .failure(.server(let message)) = failing else {
            Issue.record("\(failing)")
            return
        }
        #expect(message.contains("value is not an integer"))
        let broken = RedisScript(source: "this is not lua(")
        let brokenReply = try eval(redis, loop, broken, keys: [], arguments: [])
        #expect((try? brokenReply.get()) == nil)
        if case .failure(let error) = brokenReply { #expect(error.serverErrorCode == "NOSCRIPT") }
        #expect(redis.statistics.scriptRetries == 1)
        #expect(recorder.isReady)
        #expect(try RedisTestSupport.value(redis, loop, "PING") == .simpleString(b("PONG")))
        redis.close()
    }
}
