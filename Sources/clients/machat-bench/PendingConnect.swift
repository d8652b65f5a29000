@preconcurrency import Glibc
import Reactor

/// One non-blocking TCP connect in flight (connect(2), "EINPROGRESS"): the
/// socket is watched for writability, then SO_ERROR says how it went.
/// `Socket.connectTCP` blocks, which would serialise thousands of connects.
final class PendingConnect: EventHandler {
    /// Linux's IP_BIND_ADDRESS_NO_PORT (ip(7)): bind the source address now,
    /// pick the port at connect time, so 4-tuples (not ports) are the limit.
    private static let bindAddressNoPort: Int32 = 24

    private let fd: FileDescriptor
    private let loop: EventLoop
    private var completion: ((Result<FileDescriptor, SystemError>) -> Void)?
    private var timer: TimerID?

    private init(fd: FileDescriptor, loop: EventLoop, completion: @escaping (Result<FileDescriptor, SystemError>) -> Void) {
        self.fd = fd
        self.loop = loop
        self.completion = completion
    }

    /// Opens a socket, optionally binds it to `source`, and connects it to
    /// `target`; `completion` runs exactly once, on the loop, with a connected
    /// non-blocking socket or the error.
    static func start(
        loop: EventLoop, to target: sockaddr_in, from source: sockaddr_in?, timeoutMilliseconds: Int,
        completion: @escaping (Result<FileDescriptor, SystemError>) -> Void
    ) {
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let raw = socket(AF_INET, flags, 0)
        guard raw >= 0 else { return completion(.failure(SystemError("socket", errno: errno))) }
        let fd = FileDescriptor(rawValue: raw)
        Socket.setNoDelay(fd)
        if var source {
            var one: Int32 = 1
            _ = setsockopt(raw, Int32(IPPROTO_IP), bindAddressNoPort, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = withUnsafePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound != 0 {
                let error = SystemError("bind", errno: errno)
                fd.close()
                return completion(.failure(error))
            }
        }
        var address = target
        var result: Int32
        repeat {
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } while result != 0 && errno == EINTR
        if result == 0 { return completion(.success(fd)) }
        guard errno == EINPROGRESS else {
            let error = SystemError("connect", errno: errno)
            fd.close()
            return completion(.failure(error))
        }
        let pending = PendingConnect(fd: fd, loop: loop, completion: completion)
        do {
            try loop.register(fd, interest: Interest.write, handler: pending)
        } catch {
            fd.close()
            return completion(.failure(error))
        }
        pending.timer = loop.schedule(afterMilliseconds: timeoutMilliseconds) { [weak pending] in
            pending?.finish(.failure(SystemError("connect", errno: ETIMEDOUT)))
        }
    }

    func handleEvents(_ events: UInt32) {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { error = errno }
        finish(error == 0 ? .success(fd) : .failure(SystemError("connect", errno: error)))
    }

    private func finish(_ result: Result<FileDescriptor, SystemError>) {
        guard let completion else { return }
        self.completion = nil
        if let timer { loop.cancel(timer) }
        loop.deregister(fd)
        if case .failure = result { fd.close() }
        completion(result)
    }
}
