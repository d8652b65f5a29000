@preconcurrency import Glibc

/// A file descriptor. A typed wrapper so APIs never take a bare `CInt`.
public struct FileDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// The raw descriptor number.
    public let rawValue: CInt

    public init(rawValue: CInt) {
        self.rawValue = rawValue
    }

    public var description: String { "fd\(rawValue)" }

    /// Closes the descriptor. Never retried on EINTR: on Linux the descriptor is
    /// released even when close reports EINTR (close(2), "Dealing with error returns").
    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Sets or clears O_NONBLOCK.
    public func setNonBlocking(_ on: Bool = true) throws(SystemError) {
        let flags = try Syscall.retrying("fcntl") { fcntl(rawValue, F_GETFL) }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags {
            _ = try Syscall.retrying("fcntl") { fcntl(rawValue, F_SETFL, wanted) }
        }
    }

    /// Sets or clears FD_CLOEXEC (cleared only for descriptors a child must inherit).
    public func setCloseOnExec(_ on: Bool) throws(SystemError) {
        let flags = try Syscall.retrying("fcntl") { fcntl(rawValue, F_GETFD) }
        let wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        _ = try Syscall.retrying("fcntl") { fcntl(rawValue, F_SETFD, wanted) }
    }

    /// Reads into `buffer`; `.done(0)` means end of file.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try Syscall.nonBlocking("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes from `buffer` with MSG_NOSIGNAL semantics for sockets.
    @inline(__always)
    public func send(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try Syscall.nonBlocking("send") {
            Glibc.send(rawValue, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
    }
}
