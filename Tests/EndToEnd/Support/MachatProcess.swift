@preconcurrency import Glibc
import Foundation
import Reactor

/// A failure of the end-to-end harness, with what it was waiting for.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
}

/// A real `machat` (supervisor, router, gateways) started for one test on
/// ephemeral loopback ports, with its own runtime directory and log file.
/// `stop()` or deinit leaves no process behind.
final class MachatProcess {
    let pid: pid_t
    let tcpPort: UInt16
    let wsPort: UInt16
    let runtimeDirectory: String
    let logPath: String
    private(set) var exitStatus: Int32?

    var socketPath: String { "\(runtimeDirectory)/router.sock" }

    /// The directory of the built executables: the test bundle sits beside them.
    static let binaries: String = ProcessSpawner.executableDirectory()

    /// Starts `machat -tcp 127.0.0.1:0 -ws 127.0.0.1:0` plus `arguments` and
    /// waits until every gateway is connected to the router.
    init(_ arguments: [String] = [], tcpGateways: Int = 1, wsGateways: Int = 1, timeout: Double = 20) throws {
        let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        runtimeDirectory = "/tmp/machat-e2e-\(unique)"
        logPath = "/tmp/machat-e2e-\(unique).log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw HarnessError(description: "cannot create \(logPath)") }
        defer { close(log) }
        let high = fcntl(log, F_DUPFD_CLOEXEC, 10)
        defer { close(high) }
        let args =
            [
                "-tcp", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-runtime-dir", runtimeDirectory,
                "-tcp-gateways", String(tcpGateways), "-ws-gateways", String(wsGateways),
            ]
            // Never the user's data directory, never one shared between
            // tests: history in memory unless the test gives its own.
            + (arguments.contains { $0.hasPrefix("-data-dir") } ? [] : ["-data-dir", "none"]) + arguments
        pid = try ProcessSpawner.spawn(
            executable: "\(Self.binaries)/machat", arguments: args, inherit: [(FileDescriptor(rawValue: high), 2)])
        var tcp: UInt16 = 0
        var ws: UInt16 = 0
        let deadline = Self.now() + timeout
        while Self.now() < deadline {
            let text = Self.read(logPath)
            if tcp == 0, let port = Self.port(after: "msg=\"tcp listening\" addr=127.0.0.1:", in: text) { tcp = port }
            if ws == 0, let port = Self.port(after: "msg=\"ws listening\" addr=127.0.0.1:", in: text) { ws = port }
            let ready = text.components(separatedBy: "msg=\"gateway ready\"").count - 1
            if tcp != 0 && (ws != 0 || wsGateways == 0) && ready >= tcpGateways + wsGateways { break }
            if let status = Self.reap(pid) {
                exitStatus = status
                // No deinit runs for an object whose init failed: clean up here.
                RuntimeDirectory.remove(runtimeDirectory)
                unlink(logPath)
                throw HarnessError(description: "machat exited early (\(status)):\n\(text)")
            }
            usleep(10_000)
        }
        tcpPort = tcp
        wsPort = ws
        if tcp == 0 || (wsGateways > 0 && ws == 0) {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
            let text = Self.read(logPath)
            RuntimeDirectory.remove(runtimeDirectory)
            unlink(logPath)
            throw HarnessError(description: "machat did not become ready:\n\(text)")
        }
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
            // Children get SIGTERM from PR_SET_PDEATHSIG; make sure of it.
            for child in allDescendants() { kill(child, SIGKILL) }
        }
        RuntimeDirectory.remove(runtimeDirectory)
        unlink(logPath)
    }

    /// The whole log so far.
    var log: String { Self.read(logPath) }

    /// Sends SIGTERM and waits for machat to exit; returns its exit status
    /// (nil if it did not exit in time, after which it is killed).
    @discardableResult
    func stop(timeout: Double = 15) -> Int32? {
        kill(pid, SIGTERM)
        let deadline = Self.now() + timeout
        while Self.now() < deadline {
            if let status = Self.reap(pid) {
                exitStatus = status
                return status
            }
            usleep(10_000)
        }
        return nil
    }

    /// Pids of machat's children whose command line contains `name`
    /// (`machat-router`, `machat-tcp-gateway`, `machat-ws-gateway`).
    func children(named name: String) -> [pid_t] {
        Self.processes().filter { $0.ppid == pid && $0.cmdline.contains(name) }.map(\.pid)
    }

    /// Every process descended from machat (for the no-leftovers check).
    func allDescendants() -> [pid_t] {
        let all = Self.processes()
        var found: [pid_t] = []
        var frontier = [pid]
        while let parent = frontier.popLast() {
            for process in all where process.ppid == parent {
                found.append(process.pid)
                frontier.append(process.pid)
            }
        }
        return found
    }

    /// Waits until `condition` holds; false on timeout.
    static func wait(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = now() + timeout
        while now() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// Waits until the log contains `text` `count` times.
    func waitForLog(_ text: String, count: Int = 1, timeout: Double = 10) -> Bool {
        Self.wait(timeout: timeout) { log.components(separatedBy: text).count - 1 >= count }
    }

    // MARK: Helpers

    static func now() -> Double {
        Double(MonotonicClock.now()) / 1e9
    }

    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func port(after marker: String, in text: String) -> UInt16? {
        guard let range = text.range(of: marker) else { return nil }
        return UInt16(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Non-blocking waitpid.
    static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }

    struct ProcessInfo {
        let pid: pid_t
        let ppid: pid_t
        let cmdline: String
    }

    static func processes() -> [ProcessInfo] {
        var result: [ProcessInfo] = []
        guard let dir = opendir("/proc") else { return result }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name) else { continue }
            let stat = read("/proc/\(pid)/stat")
            // Fields after the parenthesised command: state, ppid, ...
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let ppid = pid_t(fields[1]) else { continue }
            let cmdline = read("/proc/\(pid)/cmdline").replacingOccurrences(of: "\0", with: " ")
            result.append(ProcessInfo(pid: pid, ppid: ppid, cmdline: cmdline))
        }
        return result
    }

    /// Resident memory of a process in KiB (VmRSS).
    static func residentKiB(_ pid: pid_t) -> Int? {
        for line in read("/proc/\(pid)/status").split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}
