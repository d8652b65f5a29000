@preconcurrency import Glibc
import Foundation
import Reactor

/// A real `redis-server` (Debian's) for the cluster tests: a free loopback
/// port, a fresh temporary directory, an append-only file; it can be killed
/// (-9) and started again on the same port, with or without its data.
/// `redis-cli` (an independent client) answers the tests' questions.
final class RedisProcess {
    static let server = "/usr/bin/redis-server"
    static let cli = "/usr/bin/redis-cli"

    let port: UInt16
    let directory: String
    private(set) var pid: pid_t?

    var url: String { "redis://127.0.0.1:\(port)" }

    static var isAvailable: Bool { access(server, X_OK) == 0 && access(cli, X_OK) == 0 }

    init() throws {
        var template = Array("/tmp/machat-e2e-redis-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError(description: "mkdtemp failed") }
        directory = String(cString: made)
        var lastError: Error = HarnessError(description: "no attempt")
        var started: (port: UInt16, pid: pid_t)?
        for _ in 0..<5 where started == nil {
            do {
                let fd = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
                let candidate = try Socket.localAddress(fd).port
                fd.close()
                let launched = try Self.launch(port: candidate, directory: directory)
                if Self.answers(port: candidate, pid: launched, timeout: 5) {
                    started = (candidate, launched)
                } else {
                    kill(launched, SIGKILL)
                    _ = waitpid(launched, nil, 0)
                    lastError = HarnessError(description: "redis-server did not answer on \(candidate)")
                }
            } catch {
                lastError = error
            }
        }
        guard let started else {
            RuntimeDirectory.remove(directory)
            throw lastError
        }
        port = started.port
        pid = started.pid
    }

    deinit {
        kill9()
        RuntimeDirectory.remove(directory)
    }

    private static func launch(port: UInt16, directory: String) throws -> pid_t {
        try ProcessSpawner.spawn(
            executable: server,
            arguments: [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", directory,
                "--logfile", "\(directory)/redis.log", "--daemonize", "no",
            ])
    }

    /// SIGKILL, as a crash would.
    func kill9() {
        guard let pid else { return }
        kill(pid, SIGKILL)
        _ = waitpid(pid, nil, 0)
        self.pid = nil
    }

    /// Starts again on the same port; `keepingData: false` removes the
    /// append-only files first (a Redis that came back empty).
    func restart(keepingData: Bool = true) throws {
        precondition(pid == nil, "kill it first")
        if !keepingData {
            _ = try? FileManager.default.removeItem(atPath: "\(directory)/appendonlydir")
        }
        let deadline = MachatProcess.now() + 10
        while MachatProcess.now() < deadline {
            let launched = try Self.launch(port: port, directory: directory)
            pid = launched
            if Self.answers(port: port, pid: launched, timeout: 3) { return }
            kill9()
            usleep(50_000)
        }
        throw HarnessError(description: "redis-server did not come back on \(port):\n\(log)")
    }

    var log: String { MachatProcess.read("\(directory)/redis.log") }

    /// Runs `redis-cli -p PORT args…` and returns its output.
    @discardableResult
    func cli(_ arguments: String...) -> String {
        Self.cli(port: port, arguments)
    }

    private static func cli(port: UInt16, _ arguments: [String]) -> String {
        guard let process = try? PipedProcess(executable: cli, arguments: ["-p", String(port)] + arguments) else { return "" }
        process.closeInput()
        let output = process.readToEnd(timeout: 10)
        _ = process.waitForExit(timeout: 10)
        return output
    }

    /// Polls PING until it answers; false if the server exited or `timeout` passed.
    private static func answers(port: UInt16, pid: pid_t, timeout: Double) -> Bool {
        var exited = false
        let ok = MachatProcess.wait(timeout: timeout) {
            if MachatProcess.reap(pid) != nil {
                exited = true
                return true
            }
            return cli(port: port, ["ping"]).hasPrefix("PONG")
        }
        return ok && !exited
    }
}
