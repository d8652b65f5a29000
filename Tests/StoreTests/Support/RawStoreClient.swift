@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// A blocking client that speaks the store protocol with bytes we write by
/// hand: for cutting a frame in half, or blasting pre-encoded batches.
final class RawStoreClient {
    let fd: FileDescriptor
    private var decoder = StoreFrameDecoder()

    init(path: String) throws {
        fd = try Socket.connectUnix(path: path)
        try fd.setNonBlocking(false)
    }

    deinit { fd.close() }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ frame: StoreFrame) { send(frame.encoded) }

    /// The next frame within `timeout` seconds; nil on timeout or EOF.
    func next(timeout: Double = 10) -> StoreFrame? {
        let deadline = monotonicSeconds() + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let frame = try? decoder.next() { return frame }
            let left = deadline - monotonicSeconds()
            if left <= 0 { return nil }
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(max(1, left * 1000))) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            decoder.append(contentsOf: Array(buffer[0..<n]))
        }
    }

    /// Like `next`, with APPEND and LINES frames lent to `handle` (fast reads of big loads).
    func nextBorrowed(timeout: Double = 10, _ handle: (StoreFrameView) -> Void) -> StoreDecodeStep? {
        let deadline = monotonicSeconds() + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let step = try? decoder.next(borrowing: handle) {
                if case .needMore = step {} else { return step }
            }
            let left = deadline - monotonicSeconds()
            if left <= 0 { return nil }
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(max(1, left * 1000))) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// True once the store closed the connection (within `timeout`).
    func waitForClose(timeout: Double = 10) -> Bool {
        let deadline = monotonicSeconds() + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while monotonicSeconds() < deadline {
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) }
            if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { return true }
        }
        return false
    }
}
