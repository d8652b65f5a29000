import Reactor
import Testing

@testable import Redis

/// The small value types under the clients: backoff, the reply FIFO, and the
/// classification of pub/sub replies.
@Suite("Redis client parts")
struct RedisClientPartsTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func backoffDoublesToItsCapWithinFiftyPercentJitter() {
        var backoff = ReconnectBackoff(initialMilliseconds: 25, maximumMilliseconds: 1000)
        var random = TestRandom(seed: 1)
        let nominal = [25, 50, 100, 200, 400, 800, 1000, 1000, 1000]
        for expected in nominal {
            let delay = backoff.nextDelay(using: &random)
            #expect(backoff.nominalMilliseconds == expected)
            #expect(delay >= expected - expected / 2 && delay <= expected + expected / 2, "\(delay) for \(expected)")
        }
        backoff.reset()
        _ = backoff.nextDelay(using: &random)
        #expect(backoff.nominalMilliseconds == 25)
    }

    @Test func backoffJitterActuallyVaries() {
        var random = TestRandom(seed: 2)
        var delays = Set<Int>()
        for _ in 0..<50 {
            var backoff = ReconnectBackoff(initialMilliseconds: 1000, maximumMilliseconds: 1000)
            delays.insert(backoff.nextDelay(using: &random))
        }
        #expect(delays.count > 20)
        #expect(delays.allSatisfy { $0 >= 500 && $0 <= 1500 })
    }

    @Test func replyQueueIsFirstInFirstOutAcrossCompactions() {
        var queue = ReplyQueue<Int>()
        var next = 0
        var expected = 0
        for round in 0..<50 {
            for _ in 0..<(round * 37 % 300 + 1) {
                queue.append(next)
                next += 1
            }
            for _ in 0..<(round * 53 % 250) {
                guard let value = queue.popFirst() else { break }
                #expect(value == expected)
                expected += 1
            }
        }
        while let value = queue.popFirst() {
            #expect(value == expected)
            expected += 1
        }
        #expect(expected == next)
        #expect(queue.isEmpty && queue.count == 0)
    }

    @Test func pubSubRepliesAreClassified() {
        #expect(
            RedisPubSubEvent(.array([.bulkString(b("message")), .bulkString(b("c")), .bulkString([0, 1])]))
                == .message(channel: b("c"), payload: [0, 1]))
        #expect(
            RedisPubSubEvent(.push([.bulkString(b("message")), .bulkString(b("c")), .bulkString(b("p"))]))
                == .message(channel: b("c"), payload: b("p")))
        #expect(
            RedisPubSubEvent(.array([.bulkString(b("subscribe")), .bulkString(b("c")), .integer(2)]))
                == .subscribed(channel: b("c"), count: 2))
        #expect(
            RedisPubSubEvent(.array([.bulkString(b("unsubscribe")), .nullBulkString, .integer(0)]))
                == .unsubscribed(channel: nil, count: 0))
        #expect(RedisPubSubEvent(.array([.bulkString(b("pong")), .bulkString([])])) == .pong)
        #expect(RedisPubSubEvent(.simpleString(b("PONG"))) == .pong)
        #expect(RedisPubSubEvent(.error(b("ERR x"))) == .error("ERR x"))
        #expect(RedisPubSubEvent(.integer(1)) == nil)
        #expect(RedisPubSubEvent(.array([.bulkString(b("message")), .bulkString(b("c"))])) == nil)
    }

    @Test func serverErrorCodeIsTheFirstWord() {
        #expect(RedisError.server("NOSCRIPT No matching script.").serverErrorCode == "NOSCRIPT")
        #expect(RedisError.server("WRONGTYPE Operation against a key").serverErrorCode == "WRONGTYPE")
        #expect(RedisError.notReady.serverErrorCode == nil)
    }
}
