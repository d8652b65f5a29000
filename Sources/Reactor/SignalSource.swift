@preconcurrency import Glibc
import CLinux

/// Delivers signals into the event loop through a signalfd (signalfd(2)): the
/// signals are blocked for normal delivery and read as events, so handlers run
/// on the loop like everything else and need no async-signal-safety.
public final class SignalSource: EventHandler {
    private let fd: FileDescriptor
    private let onSignal: (Int32) -> Void

    public init(signals: [Int32], loop: EventLoop, onSignal: @escaping (Int32) -> Void) throws(SystemError) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        _ = try Syscall.retrying("sigprocmask") { sigprocmask(SIG_BLOCK, &mask, nil) }
        let raw = try Syscall.retrying("signalfd") {
            signalfd(-1, &mask, Int32(SFD_NONBLOCK) | Int32(SFD_CLOEXEC))
        }
        fd = FileDescriptor(rawValue: raw)
        self.onSignal = onSignal
        try loop.register(fd, interest: Interest.read, handler: self)
    }

    public func handleEvents(_ events: UInt32) {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while true {
            let n = withUnsafeMutableBytes(of: &info) { Glibc.read(fd.rawValue, $0.baseAddress, size) }
            if n == -1 && errno == EINTR { continue }
            guard n == size else { return }
            onSignal(Int32(info.ssi_signo))
        }
    }

    /// Unblocks every signal and restores default dispositions: what a child
    /// process should start with (the mask and ignored signals survive exec).
    public static func resetForChild() {
        var empty = sigset_t()
        sigemptyset(&empty)
        sigprocmask(SIG_SETMASK, &empty, nil)
    }
}
