@preconcurrency import Glibc
import Reactor

/// An exclusive lock on a data directory: a file held with
/// `flock(LOCK_EX | LOCK_NB)` (flock(2)) that contains the holder's pid.
/// The kernel releases it when the holder exits, however it exits (kill -9
/// included), so a stale file never blocks anyone; a second holder gets an
/// error naming the first (its pid, and its command line from /proc).
public final class DataDirectoryLock {
    public let path: String
    private var fd: Int32

    /// Takes the lock `name` in `directory` (which must exist).
    public init(directory: String, name: String = DataDirectory.supervisorLockName) throws(DataDirectoryLockError) {
        path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, SystemError("open", errno: errno)) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            if err == EINTR { continue }
            close(fd)
            fd = -1
            if err == EWOULDBLOCK {
                let pid = Self.holderPID(path)
                throw .held(path: path, pid: pid, commandLine: pid.flatMap(Self.commandLine))
            }
            throw .cannotOpen(path: path, SystemError("flock", errno: err))
        }
        // Ours now: replace whatever pid a previous holder left.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        release()
    }

    /// Gives the lock up (closing the file releases it); harmless twice.
    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    /// The pid written in the lock file, if it holds one.
    static func holderPID(_ path: String) -> pid_t? {
        // The holder writes its pid right after locking; a reader racing that
        // write sees an empty file, so look again briefly.
        for attempt in 0..<20 {
            if let text = readSmallFile(path), let pid = pid_t(text.filter { !$0.isWhitespace }) { return pid }
            if attempt < 19 { usleep(5_000) }
        }
        return nil
    }

    /// The command line of `pid` (/proc/PID/cmdline, NULs as spaces), if readable.
    static func commandLine(_ pid: pid_t) -> String? {
        guard let text = readSmallFile("/proc/\(pid)/cmdline"), !text.isEmpty else { return nil }
        let words = text.split(separator: "\0", omittingEmptySubsequences: true)
        return words.joined(separator: " ")
    }

    static func readSmallFile(_ path: String) -> String? {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let n = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Why a data directory lock could not be taken.
public enum DataDirectoryLockError: Error, CustomStringConvertible, Sendable {
    /// Another process holds it.
    case held(path: String, pid: pid_t?, commandLine: String?)
    case cannotOpen(path: String, SystemError)

    public var description: String {
        switch self {
        case .held(let path, let pid, let commandLine):
            let directory = RuntimeDirectory.parent(of: path)
            var who = pid.map { "process \($0)" } ?? "another process"
            if let commandLine { who += " (\(commandLine))" }
            return "data directory \(directory) is in use by \(who); stop it first, or give this one another -data-dir"
        case .cannotOpen(let path, let error):
            return "cannot lock \(path): \(error)"
        }
    }
}
