@preconcurrency import Glibc

/// The server processes being measured: their summed resident memory and CPU
/// time from /proc (proc(5)), plus the bench's own CPU and the machine's.
struct ServerProcesses {
    let pids: [Int32]
    /// The highest summed VmRSS seen by `sample()`.
    private(set) var peakRSS = 0

    init(pids: [Int32]) {
        self.pids = pids
    }

    /// `root` and every process descended from it (found through the parent
    /// pid field of /proc/<pid>/stat), root first.
    static func withDescendants(of root: Int32) -> [Int32] {
        var parentOf: [(pid: Int32, parent: Int32)] = []
        if let directory = opendir("/proc") {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard let pid = Int32(name), let fields = statFields(pid), fields.count > 1,
                    let parent = Int32(fields[1])
                else { continue }
                parentOf.append((pid, parent))
            }
            closedir(directory)
        }
        var result = [root]
        var index = 0
        while index < result.count {
            let parent = result[index]
            result.append(contentsOf: parentOf.filter { $0.parent == parent }.map(\.pid))
            index += 1
        }
        return result
    }

    /// Summed VmRSS in bytes; also updates the peak.
    mutating func sample() -> Int {
        var sum = 0
        for pid in pids {
            guard let text = Self.readFile("/proc/\(pid)/status"),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kib = Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
            else { continue }
            sum += kib * 1024
        }
        peakRSS = max(peakRSS, sum)
        return sum
    }

    /// Summed user + system CPU seconds of the server processes.
    func cpuSeconds() -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var sum = 0.0
        for pid in pids {
            // After the command name: state is field 0, utime 11, stime 12.
            guard let fields = Self.statFields(pid), fields.count > 12,
                let user = Double(fields[11]), let system = Double(fields[12])
            else { continue }
            sum += (user + system) / ticks
        }
        return sum
    }

    /// The bench's own user + system CPU seconds.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Busy CPU seconds of the whole machine (all cores) from /proc/stat.
    static func machineBusySeconds() -> Double {
        guard let text = readFile("/proc/stat"), let line = text.split(separator: "\n").first else { return 0 }
        let fields = line.split(separator: " ")
        guard fields.count >= 9, fields[0] == "cpu" else { return 0 }
        var busy = 0.0
        // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
        for index in 1...8 where index != 4 && index != 5 { busy += Double(fields[index]) ?? 0 }
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fields of /proc/<pid>/stat after the parenthesised command name.
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// A small /proc file as text, or nil.
    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            count += n
        }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }
}
