import Reactor
import Testing

@testable import Redis

/// What happens when redis-server dies (kill -9) and comes back on the same
/// port: in-flight commands fail, in order, with `connectionLost`; new ones
/// work after `.ready`; scripts are reloaded; the subscriber resubscribes.
@Suite("Redis reconnection")
struct RedisReconnectTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// How many clients the server has blocked (in BLPOP), asked apart from our client.
    private func blockedClients(_ server: RedisServer) throws -> Int {
        var request: [UInt8] = []
        RESPEncoder.encodeCommand("INFO", "clients", into: &request)
        guard let text = try RawRedisClient(port: server.port).roundTrip(request, replies: 1).values.first?.bytes else {
            return -1
        }
        let info = String(decoding: text, as: UTF8.self)
        guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("blocked_clients:") }) else { return -1 }
        return Int(line.dropFirst("blocked_clients:".count)) ?? -1
    }

    @Test func killNineFailsInFlightCommandsThenEverythingRecovers() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let script = RedisScript(source: "return 'reloaded'")
        let (redis, states) = try RedisTestSupport.connect(server, loop, scripts: [script])
        let sub = try RedisSubscriber(url: try RedisURL(server.url), loop: loop, options: RedisTestSupport.subscriberOptions())
        let subStates = StateRecorder()
        sub.delegate = subStates
        sub.subscribe("room")
        sub.start()
        #expect(loop.run { subStates.confirmed == [b("room")] })

        // BLPOP blocks this client, so the INCRs behind it stay in flight too.
        var results: [(Int, Result<RESPValue, RedisError>)] = []
        try redis.send("BLPOP", "queue", 0) { results.append((0, $0)) }
        for index in 1...5 { try redis.send("INCR", "n") { results.append((index, $0)) } }
        #expect(loop.run { redis.pendingOutboundBytes == 0 && (try? blockedClients(server)) == 1 })
        server.kill9()
        #expect(loop.run { results.count == 6 })
        #expect(results.map(\.0) == [0, 1, 2, 3, 4, 5])
        for (_, result) in results {
            guard case .failure(.connectionLost) = result else {
                Issue.record("expected connectionLost, got \(result)")
                continue
            }
        }
        #expect(loop.run { states.isDown })
        #expect(throws: RedisError.notReady) { try redis.send("PING") { _ in } }

        try server.restart()
        #expect(loop.run { states.isReady })
        #expect(redis.statistics.reconnects == 1)
        #expect(try RedisTestSupport.value(redis, loop, "INCR", "n") == .integer(1))
        // The new server knew no scripts; ours was loaded before `.ready`.
        var exists: [UInt8] = []
        RESPEncoder.encodeCommand("SCRIPT", "EXISTS", script.sha1, into: &exists)
        #expect(try RawRedisClient(port: server.port).roundTrip(exists, replies: 1).values == [.array([.integer(1)])])
        var scripted: Result<RESPValue, RedisError>?
        try redis.evalScript(script, keys: [String](), arguments: [String]()) { scripted = $0 }
        #expect(loop.run { scripted != nil })
        #expect(scripted == .success(.bulkString(b("reloaded"))))
        #expect(redis.statistics.scriptRetries == 0)

        #expect(loop.run { subStates.resubscribed.count == 1 })
        #expect(subStates.resubscribed[0] == [b("room")])
        #expect(try RedisTestSupport.value(redis, loop, "PUBLISH", "room", "back") == .integer(1))
        #expect(loop.run { subStates.messages.count == 1 })
        #expect(subStates.messages.first?.payload == b("back"))
        redis.close()
        sub.close()
    }

    @Test func queuedCommandsWaitOutAnOutageAndGoOutInOrder() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, states) = try RedisTestSupport.connect(
            server, loop, options: RedisTestSupport.options(.queue(maxBytes: 1 << 20)))
        server.kill9()
        #expect(loop.run { states.isDown })
        var replies: [RESPValue] = []
        for _ in 0..<100 { try redis.send("INCR", "n") { replies.append((try? $0.get()) ?? .null) } }
        #expect(redis.pendingReplyCount == 100)
        try server.restart()
        #expect(loop.run { replies.count == 100 })
        #expect(replies == (1...100).map { .integer(Int64($0)) })
        redis.close()
    }

    @Test func stateChangesAreReportedThroughTheOutage() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (redis, states) = try RedisTestSupport.connect(server, loop)
        server.kill9()
        #expect(loop.run { states.isDown })
        guard case .down(.disconnected, let retry) = states.last else {
            Issue.record("\(states.states)")
            return
        }
        #expect(retry >= 1 && retry <= 75)
        try server.restart()
        #expect(loop.run { states.isReady })
        #expect(states.states.first == .connecting)
        #expect(states.states.contains(.ready))
        redis.close()
        #expect(states.last == .closed)
    }
}
