@preconcurrency import Glibc

/// Accepts connections on a listening socket and hands each new descriptor to
/// `onAccept`. Running out of descriptors (EMFILE/ENFILE) or memory pauses
/// accepting for a moment instead of spinning on a level-triggered listener
/// whose backlog cannot be drained.
public final class Listener: EventHandler {
    public let fd: FileDescriptor
    private unowned let loop: EventLoop
    private let onAccept: (FileDescriptor) -> Void
    private var paused = false
    private var stopped = false
    /// Connections accepted per readiness event, so a connect storm cannot
    /// starve established connections within one turn.
    private let acceptsPerEvent = 128
    /// Asked before each accept: nil to accept, or milliseconds to step
    /// aside for (siblings sharing the socket take the connection meanwhile).
    public var admission: (() -> Int?)?

    public init(fd: FileDescriptor, loop: EventLoop, onAccept: @escaping (FileDescriptor) -> Void) throws(SystemError) {
        self.fd = fd
        self.loop = loop
        self.onAccept = onAccept
        try fd.setNonBlocking()
        try loop.register(fd, interest: Interest.read, handler: self)
    }

    public func handleEvents(_ events: UInt32) {
        guard !paused && !stopped else { return }
        for _ in 0..<acceptsPerEvent {
            if let admission, let wait = admission() {
                pause(milliseconds: wait)
                return
            }
            do {
                switch try Socket.accept(fd) {
                case .wouldBlock:
                    return
                case .done(let client):
                    onAccept(client)
                }
            } catch {
                switch error.errno {
                case ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH:
                    continue  // that one connection failed; accept(2) says retry
                default:
                    Log.warn("accept failed; pausing accepts for 100 ms", ["error": error])
                    pause(milliseconds: 100)
                    return
                }
            }
        }
    }

    private func pause(milliseconds: Int) {
        paused = true
        loop.modify(fd, interest: 0)
        loop.schedule(afterMilliseconds: milliseconds) { [weak self] in
            guard let self, !self.stopped else { return }
            self.paused = false
            self.loop.modify(self.fd, interest: Interest.read)
        }
    }

    /// Stops accepting; the descriptor stays open (the supervisor owns it, and
    /// queued connections wait in the backlog for the next gateway).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        loop.deregister(fd)
    }
}
