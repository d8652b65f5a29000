@preconcurrency import Glibc
import Foundation
import Reactor

/// A real `machat-store` process for one test, on a socket in a private
/// directory, its stderr in a log file. Deinit kills it (SIGKILL) if it still
/// runs and removes the log.
final class StoreProcess {
    let pid: pid_t
    let socketPath: String
    let dataDirectory: String
    let logPath: String
    private(set) var exitStatus: Int32?

    static let binary = ProcessSpawner.executableDirectory() + "/machat-store"

    /// Starts the store; with `waitUntilListening` waits for its "store listening" line.
    init(
        socketPath: String, dataDirectory: String, arguments: [String] = [], waitUntilListening: Bool = true,
        binary: String = StoreProcess.binary
    ) throws {
        self.socketPath = socketPath
        self.dataDirectory = dataDirectory
        logPath = "/tmp/machat-store-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw TestFailure("cannot create \(logPath)") }
        defer { close(log) }
        let high = fcntl(log, F_DUPFD_CLOEXEC, 10)
        defer { close(high) }
        pid = try ProcessSpawner.spawn(
            executable: binary, arguments: ["-socket", socketPath, "-data-dir", dataDirectory] + arguments,
            inherit: [(FileDescriptor(rawValue: high), 2)])
        if waitUntilListening {
            guard waitUntil(timeout: 20, { self.log.contains("msg=\"store listening\"") || hasExited }) else {
                throw TestFailure("machat-store did not start:\n\(self.log)")
            }
            if hasExited { throw TestFailure("machat-store exited (\(exitStatus!)):\n\(self.log)") }
        }
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
        }
        unlink(logPath)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// True once the process has exited (reaps it).
    var hasExited: Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = status
            return true
        }
        return false
    }

    /// The exit code, once exited normally.
    var exitCode: Int32? { exitStatus.flatMap { $0 & 0x7F == 0 ? ($0 >> 8) & 0xFF : nil } }

    func waitForExit(timeout: Double = 10) -> Bool { waitUntil(timeout: timeout) { hasExited } }

    func killHard() {
        kill(pid, SIGKILL)
        _ = waitForExit()
    }

    func terminate() {
        kill(pid, SIGTERM)
        if !waitForExit(timeout: 10) { killHard() }
    }

    func waitForLog(_ text: String, count: Int = 1, timeout: Double = 10) -> Bool {
        waitUntil(timeout: timeout) { log.components(separatedBy: text).count - 1 >= count }
    }

    /// The fields of /proc/PID/stat after the command's ")": index 0 is
    /// field 3 (state), so field N of proc(5) is index N - 3. Empty once
    /// the process is gone.
    private var statFields: [Substring] {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return [] }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// The kernel's scheduling policy of the process (field 41: 0
    /// SCHED_OTHER, 3 SCHED_BATCH), read independently of the call the
    /// store made.
    var schedulingPolicy: Int? {
        let fields = statFields
        return fields.count > 38 ? Int(fields[38]) : nil
    }

    /// CPU seconds the process used so far (utime + stime, fields 14 and 15).
    var cpuSeconds: Double {
        let fields = statFields
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A test harness failure with what it was waiting for.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
