@preconcurrency import Glibc
import Reactor

@testable import Redis

/// A blocking socket to a test's redis-server for sending exact bytes and
/// keeping the exact reply bytes: how the tests see what the real server
/// accepts and sends, apart from `RedisConnection`.
final class RawRedisClient {
    private let fd: FileDescriptor
    private let timeout: Double

    init(port: UInt16, timeout: Double = 5) throws {
        fd = try Socket.connectTCP(try SocketAddress.resolve("127.0.0.1:\(port)")[0])
        self.timeout = timeout
    }

    deinit { fd.close() }

    /// Sends `bytes`, then reads until `replies` whole replies have arrived;
    /// returns them and the raw bytes they came in.
    func roundTrip(_ bytes: [UInt8], replies: Int) throws -> (values: [RESPValue], raw: [UInt8]) {
        try send(bytes)
        return try read(replies: replies)
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw RedisHarnessError(description: "raw send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads until `replies` replies are complete (decoded by our decoder,
    /// which the callers check against what the server must have meant).
    func read(replies: Int) throws -> (values: [RESPValue], raw: [UInt8]) {
        var decoder = RESPDecoder(attributes: .attach)
        var values: [RESPValue] = []
        var raw: [UInt8] = []
        let deadline = RedisServer.now() + timeout
        var chunk = [UInt8](repeating: 0, count: 65536)
        while values.count < replies {
            let left = deadline - RedisServer.now()
            guard left > 0 else {
                throw RedisHarnessError(description: "raw read: \(values.count) of \(replies) replies in time")
            }
            var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000) + 1) > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd.rawValue, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw RedisHarnessError(description: "raw read: connection closed after \(values.count) replies") }
            raw += chunk[0..<n]
            chunk.withUnsafeBytes { decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            while let value = try decoder.next() { values.append(value) }
        }
        return (values, raw)
    }
}
