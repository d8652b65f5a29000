@preconcurrency import Glibc

/// A process's resident memory and CPU time as the kernel counts them
/// (/proc/PID/stat, proc(5)): what `process_resident_memory_bytes` and
/// `process_cpu_seconds_total` report.
public struct ProcessStatistics: Sendable, Equatable {
    public let residentBytes: UInt64
    /// utime + stime, in clock ticks.
    public let cpuTicks: UInt64
    /// Clock ticks per second (sysconf(_SC_CLK_TCK), 100 on Linux).
    public let ticksPerSecond: UInt64

    public init(residentBytes: UInt64, cpuTicks: UInt64, ticksPerSecond: UInt64) {
        self.residentBytes = residentBytes
        self.cpuTicks = cpuTicks
        self.ticksPerSecond = ticksPerSecond
    }

    /// Reads /proc/PID/stat; nil if the process is gone. A small procfs read,
    /// which never waits on I/O, so the supervisor's loop may do it.
    public static func read(pid: pid_t) -> ProcessStatistics? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        var length = 0
        while length < buffer.count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + length, $0.count - length) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            length += n
        }
        return parse(
            buffer[0..<length], pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))),
            ticksPerSecond: UInt64(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Parses the text of /proc/PID/stat. The command name (field 2) is in
    /// parentheses and may hold spaces and parentheses itself, so fields are
    /// counted from the last `)`: utime and stime are fields 14 and 15, rss
    /// (in pages) field 24.
    public static func parse(_ text: ArraySlice<UInt8>, pageSize: UInt64, ticksPerSecond: UInt64) -> ProcessStatistics? {
        guard let close = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state).
        guard fields.count > 21, let utime = number(fields[11]), let stime = number(fields[12]), let rss = number(fields[21])
        else { return nil }
        return ProcessStatistics(
            residentBytes: rss &* pageSize, cpuTicks: utime &+ stime, ticksPerSecond: max(1, ticksPerSecond))
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        var any = false
        for byte in digits {
            if byte == UInt8(ascii: "\n") { break }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = times &+ UInt64(byte - UInt8(ascii: "0"))
            any = true
        }
        return any ? value : nil
    }
}
