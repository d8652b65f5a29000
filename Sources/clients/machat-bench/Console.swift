@preconcurrency import Glibc

/// Plain writes to stdout and stderr (no buffering surprises when the process
/// exits from a watchdog, and no Foundation).
enum Console {
    /// Writes `text` and a newline to stderr.
    static func error(_ text: String) {
        write(2, text + "\n")
    }

    /// Writes `text` and a newline to stdout.
    static func out(_ text: String) {
        write(1, text + "\n")
    }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
        bytes.removeAll()
    }
}
