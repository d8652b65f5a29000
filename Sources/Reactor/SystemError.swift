@preconcurrency import Glibc
import CLinux

/// A failed system call: the call's name and the errno it left.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The name of the call, e.g. `"accept4"`.
    public let call: String
    /// The errno value read immediately after the call.
    public let errno: CInt

    public init(_ call: String, errno: CInt) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: a value, or EAGAIN/EWOULDBLOCK.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// The one layer through which raw system calls go (STYLE.md, "System calls"):
/// EINTR is retried (never for `close`), EAGAIN becomes `.wouldBlock`, anything
/// else throws a `SystemError` carrying errno and the call's name.
public enum Syscall {
    /// Runs `body` until it does not fail with EINTR; throws on -1.
    @inline(__always)
    public static func retrying<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let err = Glibc.errno
            if err == EINTR { continue }
            throw SystemError(call, errno: err)
        }
    }

    /// Like `retrying` but maps EAGAIN/EWOULDBLOCK to `.wouldBlock`.
    @inline(__always)
    public static func nonBlocking<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> IOResult<T> {
        while true {
            let result = body()
            if result != -1 { return .done(result) }
            let err = Glibc.errno
            if err == EINTR { continue }
            if err == EAGAIN || err == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(call, errno: err)
        }
    }

    /// Ignores SIGPIPE for the whole process; sends also use MSG_NOSIGNAL.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Server processes keep freed memory for reuse: outbound buffers grow
    /// and drain every loop turn under load, and with glibc's default (give
    /// back anything over 128 KiB at the top of the heap) each turn paid for
    /// fresh zeroed pages again — 13,000 page faults a second in a gateway
    /// serving JSON members at full speed, none with this. At most 32 MiB is
    /// kept unreturned per process.
    public static func keepFreedMemory() {
        clinux_keep_freed_memory(32 << 20, 1 << 20)
    }
}
