@preconcurrency import Glibc
import CLinux

/// Socket creation: every descriptor non-blocking and close-on-exec from birth.
public enum Socket {
    private static let streamFlags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

    /// A listening TCP socket bound to `address` (SO_REUSEADDR, so a restart
    /// does not wait out TIME_WAIT).
    public static func listenTCP(_ address: SocketAddress, backlog: Int32 = 4096) throws(SystemError) -> FileDescriptor {
        let raw = try Syscall.retrying("socket") { socket(address.family, streamFlags, 0) }
        let fd = FileDescriptor(rawValue: raw)
        do throws(SystemError) {
            var one: Int32 = 1
            _ = try Syscall.retrying("setsockopt") {
                setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            var storage = address.storage
            _ = try Syscall.retrying("bind") {
                withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(raw, $0, address.length) }
                }
            }
            _ = try Syscall.retrying("listen") { listen(raw, backlog) }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// The address a socket is bound to (to learn the port chosen for port 0).
    public static func localAddress(_ fd: FileDescriptor) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try Syscall.retrying("getsockname") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
            }
        }
        return SocketAddress(storage: storage, length: length)
    }

    /// Connects a TCP socket (blocking connect, then switched to non-blocking).
    /// For clients and tests; servers never connect over TCP.
    public static func connectTCP(_ address: SocketAddress) throws(SystemError) -> FileDescriptor {
        let raw = try Syscall.retrying("socket") {
            socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let fd = FileDescriptor(rawValue: raw)
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(raw, $0, address.length) }
        }
        if result != 0 {
            let err = errno
            fd.close()
            throw SystemError("connect", errno: err)
        }
        setNoDelay(fd)
        return fd
    }

    /// Accepts one connection, non-blocking and close-on-exec (accept4).
    @inline(__always)
    public static func accept(_ listener: FileDescriptor) throws(SystemError) -> IOResult<FileDescriptor> {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        switch try Syscall.nonBlocking("accept4", { clinux_accept4(listener.rawValue, flags) }) {
        case .wouldBlock: return .wouldBlock
        case .done(let raw): return .done(FileDescriptor(rawValue: raw))
        }
    }

    /// The address of a connected socket's peer (getpeername(2)); nil if
    /// the peer is already gone (ENOTCONN) or the socket is not IP.
    public static func peerAddress(_ fd: FileDescriptor) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd.rawValue, $0, &length) }
        }
        guard result == 0, Int32(storage.ss_family) == AF_INET || Int32(storage.ss_family) == AF_INET6 else { return nil }
        return SocketAddress(storage: storage, length: length)
    }

    /// Makes the coming close(2) abortive: SO_LINGER on with a zero timeout
    /// drops whatever is still queued for the peer and sends a RST instead
    /// of a FIN (socket(7), tcp(7)), so the peer learns at once that the
    /// connection is gone rather than after reading everything queued.
    public static func setResetOnClose(_ fd: FileDescriptor) {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd.rawValue, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Disables Nagle: chat lines are small and latency matters.
    public static func setNoDelay(_ fd: FileDescriptor) {
        var one: Int32 = 1
        _ = setsockopt(fd.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Fills a sockaddr_un for `path`; paths must fit sun_path (108 bytes).
    private static func unixAddress(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError("sockaddr_un", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A listening Unix-domain stream socket at `path` (an old socket file there
    /// is removed first). Mode 0600: only the owner may connect.
    public static func listenUnix(path: String, backlog: Int32 = 1024) throws(SystemError) -> FileDescriptor {
        var address = try unixAddress(path)
        _ = unlink(path)
        let raw = try Syscall.retrying("socket") { socket(AF_UNIX, streamFlags, 0) }
        let fd = FileDescriptor(rawValue: raw)
        do throws(SystemError) {
            // umask makes the socket 0600 from its creation, with no window in
            // which another user could connect before a chmod.
            let old = umask(0o177)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(raw, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            let bindErrno = errno
            umask(old)
            if bound != 0 { throw SystemError("bind", errno: bindErrno) }
            _ = try Syscall.retrying("listen") { listen(raw, backlog) }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// Connects to a Unix-domain socket without blocking. Unix connects finish
    /// at once or fail (ENOENT, ECONNREFUSED, EAGAIN when the backlog is full).
    public static func connectUnix(path: String) throws(SystemError) -> FileDescriptor {
        var address = try unixAddress(path)
        let raw = try Syscall.retrying("socket") { socket(AF_UNIX, streamFlags, 0) }
        let fd = FileDescriptor(rawValue: raw)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(raw, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let err = errno
            fd.close()
            throw SystemError("connect", errno: err)
        }
        return fd
    }

    /// The uid and pid of the process at the other end of a Unix-domain socket
    /// (SO_PEERCRED, unix(7)).
    public static func peerCredentials(_ fd: FileDescriptor) -> (uid: uid_t, pid: pid_t)? {
        var pid: Int32 = 0
        let uid = clinux_peer_uid(fd.rawValue, &pid)
        guard uid >= 0 else { return nil }
        return (uid_t(uid), pid)
    }
}
