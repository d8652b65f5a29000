@preconcurrency import Glibc
import Reactor

/// One resolved address of a Redis server and the non-blocking TCP connect to
/// it. (Reactor's `Socket.connectTCP` blocks, which a server loop must not.)
struct RedisEndpoint {
    private var storage: sockaddr_storage
    private let length: socklen_t
    private let family: Int32
    /// `127.0.0.1:6379` or `[::1]:6379`, for logs and errors.
    let description: String

    /// Resolves `host` once. getaddrinfo blocks, so this runs when a client
    /// is created (at start-up), never on reconnect: a Redis that changes
    /// address needs a restart, or an address that does not change.
    static func resolve(host: String, port: UInt16) throws(RedisError) -> [RedisEndpoint] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw .resolutionFailed(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var v4: [RedisEndpoint] = []
        var v6: [RedisEndpoint] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            node = info.pointee.ai_next
            let family = info.pointee.ai_family
            guard family == AF_INET || family == AF_INET6 else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
            }
            let endpoint = RedisEndpoint(
                storage: storage, length: info.pointee.ai_addrlen, family: family,
                description: Self.describe(storage, family: family, port: port))
            if family == AF_INET { v4.append(endpoint) } else { v6.append(endpoint) }
        }
        guard !(v4.isEmpty && v6.isEmpty) else { throw .resolutionFailed(host: host, reason: "no IPv4 or IPv6 address") }
        return v4 + v6
    }

    private static func describe(_ storage: sockaddr_storage, family: Int32, port: UInt16) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var copy = storage
        withUnsafeMutableBytes(of: &copy) { raw in
            if family == AF_INET {
                var address = raw.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            } else {
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            }
        }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Starts a non-blocking connect (connect(2): EINPROGRESS means "watch
    /// for writability, then read SO_ERROR"). Returns the socket and whether
    /// it is already connected. The socket is close-on-exec, with TCP_NODELAY
    /// (commands are small and pipelined) and SO_KEEPALIVE (an idle link to a
    /// vanished host is eventually noticed).
    func startConnect() throws(SystemError) -> (FileDescriptor, connected: Bool) {
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let raw = try Syscall.retrying("socket") { socket(family, flags, 0) }
        let fd = FileDescriptor(rawValue: raw)
        Socket.setNoDelay(fd)
        var one: Int32 = 1
        _ = setsockopt(raw, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = storage
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(raw, $0, length) }
        }
        if result == 0 { return (fd, true) }
        let err = errno
        // EINTR: the connect goes on asynchronously, exactly like EINPROGRESS.
        if err == EINPROGRESS || err == EINTR { return (fd, false) }
        fd.close()
        throw SystemError("connect", errno: err)
    }

    /// The outcome of a connect that was in progress, once the socket is
    /// writable: 0 for success, else the errno (SO_ERROR).
    static func pendingConnectError(_ fd: FileDescriptor) -> CInt {
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &error, &size) != 0 { return errno }
        return error
    }
}
