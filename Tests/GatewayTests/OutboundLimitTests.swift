@preconcurrency import Glibc
import Reactor
import Testing

/// The outbound buffer's hard limit: a peer that does not read is cut off as a
/// slow consumer instead of growing memory without bound.
@Suite struct OutboundLimitTests {
    private final class Recorder: StreamConnectionDelegate {
        var closeReason: CloseReason?
        func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {}
        func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) { closeReason = reason }
    }

    private func socketPair() -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [0, 0]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        precondition(socketpair(AF_UNIX, type, 0, &fds) == 0)
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    @Test func peerThatNeverReadsIsDisconnectedAsSlowConsumer() throws {
        let loop = try EventLoop()
        let (ours, theirs) = socketPair()
        defer { theirs.close() }
        let limit = 64 * 1024
        let connection = try StreamConnection(fd: ours, loop: loop, outboundLimit: limit)
        let recorder = Recorder()
        connection.delegate = recorder
        let chunk = [UInt8](repeating: 0x61, count: 8192)
        // Bounded: the kernel buffers a few hundred KiB at most, then our
        // buffer fills past the limit.
        for _ in 0..<2000 where recorder.closeReason == nil {
            connection.write(chunk)
            loop.runOnce(maxWaitMilliseconds: 0)
        }
        guard case .slowConsumer(let pending, let reportedLimit) = recorder.closeReason else {
            Issue.record("expected a slow-consumer close, got \(String(describing: recorder.closeReason))")
            return
        }
        #expect(reportedLimit == limit)
        #expect(pending > limit)
        #expect(!connection.isOpen)
    }

    @Test func peerThatReadsReceivesEveryByteInOrder() throws {
        let loop = try EventLoop()
        let (ours, theirs) = socketPair()
        defer { theirs.close() }
        let connection = try StreamConnection(fd: ours, loop: loop, outboundLimit: 64 * 1024)
        let recorder = Recorder()
        connection.delegate = recorder
        var received: [UInt8] = []
        var expected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        for round in 0..<200 {
            let piece = [UInt8](repeating: UInt8(round % 251), count: 4000)
            expected += piece
            connection.write(piece)
            loop.runOnce(maxWaitMilliseconds: 0)
            let n = buffer.withUnsafeMutableBytes { read(theirs.rawValue, $0.baseAddress, $0.count) }
            if n > 0 { received += buffer[0..<n] }
        }
        for _ in 0..<1000 where received.count < expected.count {
            loop.runOnce(maxWaitMilliseconds: 1)
            let n = buffer.withUnsafeMutableBytes { read(theirs.rawValue, $0.baseAddress, $0.count) }
            if n > 0 { received += buffer[0..<n] }
        }
        #expect(recorder.closeReason == nil)
        #expect(received == expected)
    }

    @Test func drainedBufferReleasesLargeStorage() {
        var buffer = OutboundBuffer()
        buffer.append([UInt8](repeating: 1, count: 100_000))
        #expect(buffer.capacity >= 100_000)
        buffer.consume(100_000)
        #expect(buffer.isEmpty)
        #expect(buffer.capacity == 0)
    }

    @Test func smallDrainedBufferKeepsItsStorage() {
        var buffer = OutboundBuffer()
        buffer.append([UInt8](repeating: 1, count: 100))
        let capacity = buffer.capacity
        buffer.consume(60)
        #expect(buffer.count == 40)
        buffer.consume(40)
        #expect(buffer.isEmpty)
        #expect(buffer.capacity == capacity)
    }
}
