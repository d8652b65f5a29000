import Reactor
import Testing

@testable import Redis

/// `RedisSubscriber` against a real redis-server: ordering, binary channels,
/// unsubscribing, and resubscribing after the server drops it.
@Suite("RedisSubscriber")
struct RedisSubscriberTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func subscriber(
        _ server: RedisServer, _ loop: EventLoop, channels: [[UInt8]],
        options: RedisSubscriberOptions = RedisTestSupport.subscriberOptions()
    ) throws -> (RedisSubscriber, StateRecorder) {
        let subscriber = try RedisSubscriber(url: try RedisURL(server.url), loop: loop, options: options)
        let recorder = StateRecorder()
        subscriber.delegate = recorder
        for channel in channels { subscriber.subscribe(channel) }
        subscriber.start()
        guard loop.run(until: { Set(recorder.confirmed).isSuperset(of: channels) }) else {
            throw RedisHarnessError(description: "subscriptions not confirmed: \(recorder.states)")
        }
        return (subscriber, recorder)
    }

    @Test func messagesArriveInPublishOrder() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (sub, recorder) = try subscriber(server, loop, channels: [b("room:a"), b("room:b")])
        #expect(recorder.resubscribed.isEmpty)
        let (publisher, _) = try RedisTestSupport.connect(server, loop)
        var expected: [([UInt8], [UInt8])] = []
        for index in 0..<2000 {
            let channel = index % 3 == 0 ? b("room:b") : b("room:a")
            let payload = b("message \(index)")
            expected.append((channel, payload))
            try publisher.send("PUBLISH", channel, payload) { _ in }
        }
        #expect(loop.run { recorder.messages.count == 2000 })
        #expect(recorder.messages.map(\.channel) == expected.map(\.0))
        #expect(recorder.messages.map(\.payload) == expected.map(\.1))
        #expect(sub.messagesReceived == 2000)
        sub.close()
        publisher.close()
    }

    @Test func binaryChannelsAndLargePayloadsArriveIntact() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let channel = (0...255).map { UInt8($0) }
        let (sub, recorder) = try subscriber(server, loop, channels: [channel])
        let (publisher, _) = try RedisTestSupport.connect(server, loop)
        var random = TestRandom(seed: 11)
        let big = random.bytes(1 << 20)
        #expect(try RedisTestSupport.value(publisher, loop, "PUBLISH", channel, channel) == .integer(1))
        #expect(try RedisTestSupport.value(publisher, loop, "PUBLISH", channel, big) == .integer(1))
        #expect(loop.run { recorder.messages.count == 2 })
        #expect(recorder.messages.map(\.channel) == [channel, channel])
        #expect(recorder.messages.map(\.payload) == [channel, big])
        sub.close()
        publisher.close()
    }

    @Test func unsubscribedChannelStopsAtOnceAndAtTheServer() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (sub, recorder) = try subscriber(server, loop, channels: [b("a"), b("b")])
        let (publisher, _) = try RedisTestSupport.connect(server, loop)
        sub.unsubscribe("a")
        #expect(sub.channels == [b("b")])
        // Published before the server has processed the UNSUBSCRIBE: dropped here.
        for index in 0..<50 {
            try publisher.send("PUBLISH", "a", "late \(index)") { _ in }
            try publisher.send("PUBLISH", "b", "kept \(index)") { _ in }
        }
        #expect(loop.run { recorder.messages.count == 50 })
        #expect(recorder.messages.allSatisfy { $0.channel == b("b") })
        let numsub = try RedisTestSupport.value(publisher, loop, "PUBSUB", "NUMSUB", "a", "b")
        #expect(numsub == .array([.bulkString(b("a")), .integer(0), .bulkString(b("b")), .integer(1)]))
        sub.close()
        publisher.close()
    }

    @Test func clientKillOfPubsubConnectionsTriggersResubscribe() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        let (sub, recorder) = try subscriber(server, loop, channels: [b("room:x"), b("room:y")])
        let (admin, _) = try RedisTestSupport.connect(server, loop)
        #expect(try RedisTestSupport.value(admin, loop, "CLIENT", "KILL", "TYPE", "pubsub") == .integer(1))
        #expect(loop.run { recorder.resubscribed.count == 1 })
        #expect(Set(recorder.resubscribed[0]) == [b("room:x"), b("room:y")])
        #expect(recorder.states.contains { if case .down = $0 { return true } else { return false } })
        #expect(sub.resubscriptions == 1)
        #expect(try RedisTestSupport.value(admin, loop, "PUBLISH", "room:y", "after") == .integer(1))
        #expect(loop.run { recorder.messages.count == 1 })
        #expect(recorder.messages.first?.payload == b("after"))
        sub.close()
        admin.close()
    }

    @Test func silentServerIsDetectedByPingAndResubscribedAfter() throws {
        let server = try RedisServer()
        let loop = try EventLoop()
        var options = RedisTestSupport.subscriberOptions()
        options.pingIntervalMilliseconds = 50
        options.connectTimeoutMilliseconds = 200
        let (sub, recorder) = try subscriber(server, loop, channels: [b("c")], options: options)
        server.pause()
        defer { server.resume() }
        #expect(loop.run { recorder.isDown })
        guard case .down(.timeout(let what), _) = recorder.states.first(where: { if case .down = $0 { true } else { false } })
        else {
            Issue.record("\(recorder.states)")
            return
        }
        #expect(what == "no PONG within 50 ms")
        server.resume()
        #expect(loop.run { recorder.resubscribed.count == 1 })
        sub.close()
    }
}
