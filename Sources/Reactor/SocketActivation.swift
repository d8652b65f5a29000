@preconcurrency import Glibc
import CLinux

/// Listening sockets passed by systemd (socket activation, sd_listen_fds(3)):
/// `LISTEN_PID` names the process they are for, `LISTEN_FDS` counts them
/// from descriptor 3 on, and `LISTEN_FDNAMES` (colon-separated) names them
/// after each socket unit's `FileDescriptorName=`.
public enum SocketActivation {
    /// The first passed descriptor (SD_LISTEN_FDS_START).
    public static let firstDescriptor: CInt = 3

    /// The passed sockets by name, when they are for this process: checked
    /// to be listening stream sockets, moved to descriptors 10 and up,
    /// close-on-exec (only what a child must inherit is passed on purpose).
    /// The variables are removed either way, as sd_listen_fds(3) does with
    /// `unset_environment`, so children never see them.
    public static func take() throws(SocketActivationError) -> [String: FileDescriptor] {
        let pid = getenv("LISTEN_PID").map { String(cString: $0) }
        let count = getenv("LISTEN_FDS").map { String(cString: $0) }
        let names = getenv("LISTEN_FDNAMES").map { String(cString: $0) }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        let passed = try parse(pid: pid, count: count, names: names, ownPID: getpid())
        var sockets: [String: FileDescriptor] = [:]
        for (name, raw) in passed {
            let fd = FileDescriptor(rawValue: raw)
            guard isListeningStream(fd) else {
                for other in passed { close(other.descriptor) }
                for moved in sockets.values { moved.close() }
                throw .notAListeningSocket(name: name, descriptor: raw)
            }
            let high = fcntl(raw, F_DUPFD_CLOEXEC, 10)
            guard high >= 0 else {
                let err = errno
                for other in passed { close(other.descriptor) }
                for moved in sockets.values { moved.close() }
                throw .system(SystemError("fcntl", errno: err))
            }
            close(raw)
            sockets[name] = FileDescriptor(rawValue: high)
        }
        return sockets
    }

    /// The names and descriptor numbers the variables describe; empty when
    /// they are absent or for another process. Without `LISTEN_FDNAMES`, or
    /// when it repeats a name (one socket unit with several `ListenStream=`
    /// lines names them all after `FileDescriptorName=` or the unit), the
    /// sockets are named by position from `positionalNames` (`tcp`, then `ws`).
    public static func parse(
        pid: String?, count: String?, names: String?, ownPID: pid_t, positionalNames: [String] = ["tcp", "ws"]
    ) throws(SocketActivationError) -> [(name: String, descriptor: CInt)] {
        guard let count else { return [] }
        guard let pid, let target = pid_t(pid) else { throw .malformed("LISTEN_FDS is set but LISTEN_PID is not a pid") }
        // For another process (e.g. inherited through a shell): not ours.
        guard target == ownPID else { return [] }
        guard let n = Int(count), n >= 0, n <= 64 else { throw .malformed("LISTEN_FDS=\(count) is not a count") }
        let given = names.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        if let given, given.count != n {
            throw .malformed("LISTEN_FDNAMES names \(given.count) sockets but LISTEN_FDS is \(n)")
        }
        let distinct = given.map { Set($0).count == $0.count } ?? false
        var result: [(name: String, descriptor: CInt)] = []
        for index in 0..<n {
            let positional = index < positionalNames.count ? positionalNames[index] : "socket-\(index + 1)"
            result.append((distinct ? given![index] : positional, firstDescriptor + CInt(index)))
        }
        return result
    }

    /// SO_ACCEPTCONN and SOCK_STREAM (what sd_is_socket(3) checks).
    static func isListeningStream(_ fd: FileDescriptor) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_TYPE, &value, &length) == 0,
            value == Int32(SOCK_STREAM.rawValue)
        else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 else { return false }
        return value != 0
    }
}

extension SocketActivation {
    /// What a passed socket listens on, for the log: `host:port`, or
    /// `unix:PATH` for a Unix-domain socket (`ListenStream=/run/…`).
    public static func describe(_ fd: FileDescriptor) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
        }
        guard status == 0 else { return "fd\(fd.rawValue)" }
        if Int32(storage.ss_family) == AF_UNIX {
            let path = withUnsafeBytes(of: &storage) { raw -> String in
                let bytes = raw.load(as: sockaddr_un.self)
                return withUnsafeBytes(of: bytes.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            }
            return "unix:\(path)"
        }
        return SocketAddress(storage: storage, length: length).description
    }
}
