@preconcurrency import Glibc
import Reactor

/// The example clients' loop: lines typed on stdin go to the server, bytes
/// from the server go to stdout. poll(2) rather than epoll, because stdin may
/// be a regular file, which epoll refuses.
public struct TerminalRelay {
    public enum Event {
        /// A line from stdin, without its newline.
        case line([UInt8])
        /// stdin reached end of file.
        case endOfInput
        /// Bytes from the server.
        case received(UnsafeRawBufferPointer)
        /// The server closed the connection (or it failed).
        case closed(String)
    }

    private let socket: FileDescriptor
    private var stdinOpen = true
    private var pendingInput: [UInt8] = []

    public init(socket: FileDescriptor) {
        self.socket = socket
    }

    /// Runs until `handle` returns false.
    public mutating func run(_ handle: (Event) -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds = [pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)]
            if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                _ = handle(.closed("poll: \(SystemError("poll", errno: errno))"))
                return
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(socket.rawValue, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    _ = handle(.closed(n == 0 ? "server closed the connection" : "\(SystemError("read", errno: errno))"))
                    return
                }
                let keepGoing = buffer.withUnsafeBytes { handle(.received(UnsafeRawBufferPointer(rebasing: $0[0..<n]))) }
                if !keepGoing { return }
            }
            if stdinOpen && fds.count > 1 && fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    stdinOpen = false
                    if !pendingInput.isEmpty {
                        let last = pendingInput
                        pendingInput = []
                        if !handle(.line(last)) { return }
                    }
                    if !handle(.endOfInput) { return }
                    continue
                }
                pendingInput.append(contentsOf: buffer[0..<n])
                while let newline = pendingInput.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(pendingInput[..<newline])
                    pendingInput.removeSubrange(...newline)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    if !handle(.line(line)) { return }
                }
            }
        }
    }

    /// Writes all of `bytes` (blocking); false if the connection failed.
    public static func writeAll(_ socket: FileDescriptor, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(socket.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Writes to stdout, all of it.
    public static func printRaw(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    /// A message to stderr.
    public static func note(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
