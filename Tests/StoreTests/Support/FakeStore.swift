@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// A store played by the test: a listening Unix socket, non-blocking, whose
/// frames the test reads and answers by hand between loop turns.
final class FakeStore {
    let listener: FileDescriptor
    private(set) var connection: FileDescriptor?
    private(set) var connections = 0
    private var decoder = StoreFrameDecoder()
    /// Every frame received on the current connection, in order.
    private(set) var received: [StoreFrame] = []

    init(path: String) throws {
        listener = try Socket.listenUnix(path: path)
    }

    deinit {
        connection?.close()
        listener.close()
    }

    /// Accepts a pending connection and reads what arrived; call between turns.
    func poll() {
        if case .done(let fd)? = try? Socket.accept(listener) {
            connection?.close()
            connection = fd
            connections += 1
            decoder = StoreFrameDecoder()
            received = []
        }
        guard let connection else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(connection.rawValue, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            decoder.append(contentsOf: Array(buffer[0..<n]))
        }
        while let frame = try? decoder.next() { received.append(frame) }
    }

    func send(_ frames: StoreFrame...) {
        guard let connection else { return }
        var bytes: [UInt8] = []
        for frame in frames { frame.encode(into: &bytes) }
        _ = bytes.withUnsafeBytes { Glibc.send(connection.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Closes the current connection (as a store that died).
    func drop() {
        connection?.close()
        connection = nil
    }

    /// The APPEND batches received on the current connection: number and records.
    var batches: [(UInt64, [AppendRecord])] {
        received.compactMap { if case .append(let batch, let records) = $0 { (batch, records) } else { nil } }
    }
}

extension EventLoop {
    /// Runs turns and polls `store` until `condition` holds (false on timeout).
    func run(with store: FakeStore, timeout: Double = 5, until condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        while true {
            store.poll()
            if condition() { return true }
            if MonotonicClock.now() >= deadline { return false }
            runOnce(maxWaitMilliseconds: 2)
        }
    }
}
