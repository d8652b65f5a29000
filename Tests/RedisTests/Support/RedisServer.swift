@preconcurrency import Glibc
import Foundation
import Reactor

/// A failure of the Redis test harness, with what it was waiting for.
struct RedisHarnessError: Error, CustomStringConvertible {
    let description: String
}

/// A real `redis-server` (Debian's /usr/bin/redis-server) started for one
/// test on a free 127.0.0.1 port in a fresh temporary directory, with no
/// persistence. It can be killed (-9) and started again on the same port.
/// Deinit kills it and removes the directory, whatever the test did.
final class RedisServer {
    static let executable = "/usr/bin/redis-server"

    let port: UInt16
    let directory: String
    let extraArguments: [String]
    private(set) var pid: pid_t?

    var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts a server with `arguments` added to the fixed ones, and waits
    /// until it answers. A port taken between choosing and binding it is
    /// retried with another.
    init(_ arguments: [String] = []) throws {
        Syscall.ignoreSIGPIPE()
        var template = Array("/tmp/machat-redis-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw RedisHarnessError(description: "mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        extraArguments = arguments
        var lastError: Error = RedisHarnessError(description: "no attempt")
        for _ in 0..<5 {
            let candidate: UInt16
            do {
                candidate = try Self.freePort()
            } catch {
                lastError = error
                continue
            }
            do {
                pid = try Self.launch(port: candidate, directory: directory, arguments: arguments)
                try Self.waitUntilAnswering(port: candidate, pid: pid!, log: "\(directory)/redis.log")
                port = candidate
                return
            } catch {
                lastError = error
                if let pid { Self.killAndReap(pid) }
                pid = nil
            }
        }
        RuntimeDirectory.remove(directory)
        throw lastError
    }

    deinit {
        if let pid { Self.killAndReap(pid) }
        RuntimeDirectory.remove(directory)
    }

    /// SIGKILL, as a crash would; waits until the process is gone.
    func kill9() {
        if let pid { Self.killAndReap(pid) }
        pid = nil
    }

    /// SIGSTOP / SIGCONT: the server stops answering without closing anything.
    func pause() { if let pid { kill(pid, SIGSTOP) } }
    func resume() { if let pid { kill(pid, SIGCONT) } }

    /// Starts the server again on the same port (after `kill9`).
    func restart(timeout: Double = 5) throws {
        precondition(pid == nil, "kill the server before restarting it")
        let deadline = Self.now() + timeout
        var lastError: Error = RedisHarnessError(description: "no attempt")
        // The old listening socket is gone with the process; Redis binds
        // with SO_REUSEADDR, so TIME_WAIT connections do not block the port.
        while Self.now() < deadline {
            do {
                let started = try Self.launch(port: port, directory: directory, arguments: extraArguments)
                pid = started
                try Self.waitUntilAnswering(port: port, pid: started, log: "\(directory)/redis.log")
                return
            } catch {
                lastError = error
                if let pid { Self.killAndReap(pid) }
                pid = nil
                usleep(20_000)
            }
        }
        throw lastError
    }

    /// What the server logged.
    var log: String { (try? String(contentsOfFile: "\(directory)/redis.log", encoding: .utf8)) ?? "" }

    // MARK: Process

    private static func launch(port: UInt16, directory: String, arguments: [String]) throws -> pid_t {
        let base = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory,
            "--logfile", "\(directory)/redis.log", "--daemonize", "no",
        ]
        return try ProcessSpawner.spawn(executable: executable, arguments: base + arguments)
    }

    private static func killAndReap(_ pid: pid_t) {
        kill(pid, SIGCONT)
        kill(pid, SIGKILL)
        _ = waitpid(pid, nil, 0)
    }

    /// A port the kernel just handed out for 127.0.0.1 (bound, then released).
    static func freePort() throws -> UInt16 {
        let address = try SocketAddress.resolve("127.0.0.1:0")[0]
        let fd = try Socket.listenTCP(address)
        defer { fd.close() }
        return try Socket.localAddress(fd).port
    }

    /// Polls with a raw PING until the server answers (PONG, or NOAUTH when
    /// it wants a password), or fails if it exits or takes over 5 s.
    private static func waitUntilAnswering(port: UInt16, pid: pid_t, log: String) throws {
        let deadline = now() + 5
        while now() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw RedisHarnessError(description: "redis-server exited (\(status)) on port \(port):\n\(text)")
            }
            if let client = try? RawRedisClient(port: port, timeout: 0.5),
                let reply = try? client.roundTrip(Array("*1\r\n$4\r\nPING\r\n".utf8), replies: 1).values.first,
                reply == .simpleString(Array("PONG".utf8)) || reply.errorMessage?.starts(with: "NOAUTH".utf8) == true
            {
                return
            }
            usleep(5_000)
        }
        throw RedisHarnessError(description: "redis-server on port \(port) did not answer PING within 5 s")
    }

    static func now() -> Double { Double(MonotonicClock.now()) / 1e9 }
}
