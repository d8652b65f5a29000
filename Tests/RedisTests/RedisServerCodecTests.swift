@preconcurrency import Glibc
import Reactor
import Testing

@testable import Redis

/// Our encoder and decoder against independent peers: the bytes redis-cli
/// sends, and the replies a real redis-server produces (RESP2 and RESP3).
@Suite("RESP codec against redis-server and redis-cli")
struct RedisServerCodecTests {
    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Decodes `raw` byte by byte and checks it gives `values` (the decode of
    /// the same bytes as they arrived from the server).
    private func expectSplitIndependent(_ raw: [UInt8], _ values: [RESPValue]) {
        let byteByByte = RESPDecoder.decode(raw, chunks: [1], limits: RESPDecoderLimits(), attributes: .attach)
        #expect(byteByByte == RESPDecoder.FuzzOutcome(values: values))
    }

    @Test func encoderWritesTheSameBytesAsRedisCli() throws {
        Syscall.ignoreSIGPIPE()
        let listener = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
        defer { listener.close() }
        let port = try Socket.localAddress(listener).port
        let arguments = ["SET", "key with spaces", "ünïcödé\u{1}value", "EX", "100"]
        let cli = try ProcessSpawner.spawn(
            executable: "/usr/bin/redis-cli", arguments: ["-h", "127.0.0.1", "-p", String(port)] + arguments)
        defer {
            kill(cli, SIGKILL)
            _ = waitpid(cli, nil, 0)
        }
        var pfd = pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 5000) == 1)
        guard case .done(let peer) = try Socket.accept(listener) else {
            Issue.record("redis-cli did not connect")
            return
        }
        defer { peer.close() }
        try peer.setNonBlocking(false)
        var expected: [UInt8] = []
        RESPEncoder.encodeCommand("SET", "key with spaces", "ünïcödé\u{1}value", "EX", 100, into: &expected)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < expected.count {
            var readable = pollfd(fd: peer.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&readable, 1, 5000) == 1 else { break }
            let n = chunk.withUnsafeMutableBytes { read(peer.rawValue, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            received += chunk[0..<n]
        }
        #expect(received == expected)
        _ = b("+OK\r\n").withUnsafeBytes { send(peer.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    @Test func serverStoresExactlyTheBinaryBytesOurEncoderSent() throws {
        let server = try RedisServer()
        let client = try RawRedisClient(port: server.port)
        let every = (0...255).map { UInt8($0) }
        let key = b("k\r\n") + every
        var request: [UInt8] = []
        RESPEncoder.encodeCommand("SET", key, every + every, into: &request)
        RESPEncoder.encodeCommand("STRLEN", key, into: &request)
        RESPEncoder.encodeCommand("GET", key, into: &request)
        RESPEncoder.encodeCommand("GETRANGE", key, 0, 0, into: &request)
        let (values, raw) = try client.roundTrip(request, replies: 4)
        #expect(values == [.simpleString(b("OK")), .integer(512), .bulkString(every + every), .bulkString([0])])
        expectSplitIndependent(raw, values)
    }

    @Test func serverAnswersTenThousandPipelinedCommandsInOrder() throws {
        let server = try RedisServer()
        let client = try RawRedisClient(port: server.port)
        var request: [UInt8] = []
        for _ in 0..<10_000 { RESPEncoder.encodeCommand("INCR", "counter", into: &request) }
        let (values, _) = try client.roundTrip(request, replies: 10_000)
        #expect(values == (1...10_000).map { .integer(Int64($0)) })
    }

    @Test func resp2RepliesFromTheServerDecode() throws {
        let server = try RedisServer()
        let client = try RawRedisClient(port: server.port)
        var request: [UInt8] = []
        RESPEncoder.encodeCommand("SET", "s", "hello", into: &request)
        RESPEncoder.encodeCommand("GET", "s", into: &request)
        RESPEncoder.encodeCommand("GET", "missing", into: &request)
        RESPEncoder.encodeCommand("RPUSH", "list", "a", "", "c", into: &request)
        RESPEncoder.encodeCommand("LRANGE", "list", 0, -1, into: &request)
        RESPEncoder.encodeCommand("LRANGE", "missing", 0, -1, into: &request)
        RESPEncoder.encodeCommand("BLPOP", "missing", "0.01", into: &request)
        RESPEncoder.encodeCommand("INCR", "s", into: &request)
        RESPEncoder.encodeCommand("XADD", "stream", "1-1", "f", "v", into: &request)
        RESPEncoder.encodeCommand("XRANGE", "stream", "-", "+", into: &request)
        RESPEncoder.encodeCommand("NOSUCHCOMMAND", into: &request)
        let (values, raw) = try client.roundTrip(request, replies: 11)
        #expect(values.count == 11)
        guard values.count == 11 else { return }
        #expect(values[0] == .simpleString(b("OK")))
        #expect(values[1] == .bulkString(b("hello")))
        #expect(values[2] == .nullBulkString)
        #expect(values[3] == .integer(3))
        #expect(values[4] == .array([.bulkString(b("a")), .bulkString([]), .bulkString(b("c"))]))
        #expect(values[5] == .array([]))
        #expect(values[6] == .nullArray)
        #expect(values[7] == .error(b("ERR value is not an integer or out of range")))
        #expect(values[8] == .bulkString(b("1-1")))
        #expect(values[9] == .array([.array([.bulkString(b("1-1")), .array([.bulkString(b("f")), .bulkString(b("v"))])])]))
        #expect(values[10].errorMessage.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("ERR unknown command") == true)
        expectSplitIndependent(raw, values)
    }

    @Test func resp3RepliesFromTheServerDecode() throws {
        let server = try RedisServer(["--enable-debug-command", "yes"])
        let client = try RawRedisClient(port: server.port)
        var request: [UInt8] = []
        RESPEncoder.encodeCommand("HELLO", "3", into: &request)
        for kind in ["map", "set", "double", "bignum", "null", "attrib", "push", "verbatim", "true", "false"] {
            RESPEncoder.encodeCommand("DEBUG", "PROTOCOL", kind, into: &request)
        }
        RESPEncoder.encodeCommand("ZADD", "z", "1.5", "m", into: &request)
        RESPEncoder.encodeCommand("ZSCORE", "z", "m", into: &request)
        // The push of DEBUG PROTOCOL push comes before its reply: one more value.
        let (values, raw) = try client.roundTrip(request, replies: 14)
        #expect(values.count == 14)
        guard values.count == 14 else { return }
        guard case .map(let hello) = values[0] else {
            Issue.record("HELLO 3 did not answer a map: \(values[0])")
            return
        }
        #expect(hello.first { $0.key == .bulkString(b("proto")) }?.value == .integer(3))
        #expect(hello.first { $0.key == .bulkString(b("server")) }?.value == .bulkString(b("redis")))
        #expect(
            values[1]
                == .map([
                    RESPPair(key: .integer(0), value: .boolean(false)), RESPPair(key: .integer(1), value: .boolean(true)),
                    RESPPair(key: .integer(2), value: .boolean(false)),
                ]))
        #expect(values[2] == .set([.integer(0), .integer(1), .integer(2)]))
        #expect(values[3] == .double(3.141))
        #expect(values[4] == .bigNumber(b("1234567999999999999999999999999999999")))
        #expect(values[5] == .null)
        #expect(
            values[6]
                == .attributed(
                    attributes: [
                        RESPPair(key: .bulkString(b("key-popularity")), value: .array([.bulkString(b("key:123")), .integer(90)]))
                    ], value: .bulkString(b("Some real reply following the attribute"))))
        #expect(values[7] == .push([.bulkString(b("server-cpu-usage")), .integer(42)]))
        #expect(values[8] == .bulkString(b("Some real reply following the push reply")))
        #expect(values[9] == .verbatimString(format: b("txt"), text: b("This is a verbatim\nstring")))
        #expect(values[10] == .boolean(true))
        #expect(values[11] == .boolean(false))
        #expect(values[12] == .integer(1))
        #expect(values[13] == .double(1.5))
        expectSplitIndependent(raw, values)
        // Our canonical encoding of what the server sent is the server's own bytes.
        #expect(values.flatMap { RESPEncoder.encoded($0) } == raw)
    }

    @Test func scriptNameMatchesTheSHA1RedisComputes() throws {
        let server = try RedisServer()
        let client = try RawRedisClient(port: server.port)
        let scripts = [
            "return 1", "return redis.call('GET', KEYS[1])", String(repeating: "-- padding\n", count: 100) + "return 'ü'",
        ]
        for source in scripts {
            var request: [UInt8] = []
            RESPEncoder.encodeCommand("SCRIPT", "LOAD", source, into: &request)
            let (values, _) = try client.roundTrip(request, replies: 1)
            #expect(values == [.bulkString(RedisScript(source: source).sha1)])
        }
    }
}
