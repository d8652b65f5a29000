@preconcurrency import Glibc
import Foundation
import Reactor

/// A child process for tests (an example client, Python, `machat` itself)
/// with its stdin and stdout on socket pairs we hold (pipes, in effect) and its stderr in a file.
/// Deinit kills it if it is still running and removes the file.
final class PipedProcess {
    let pid: pid_t
    let executable: String
    private var input: Int32
    private let output: Int32
    private let errorPath: String
    private var buffer: [UInt8] = []
    private(set) var outputClosed = false
    /// The raw waitpid status once the process was reaped.
    private(set) var status: Int32?

    /// Spawns `executable` (absolute path) with `arguments`.
    init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        Syscall.ignoreSIGPIPE()
        self.executable = executable
        // Glibc's Swift module has no pipe2, and pipe + FD_CLOEXEC would let a
        // child spawned meanwhile by a parallel test inherit our end (and then
        // we would never see EOF). socketpair takes SOCK_CLOEXEC atomically and
        // behaves like a pipe for reading and writing lines.
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, kind, 0, &stdinPipe) == 0 else {
            throw HarnessError(description: "socketpair: errno \(errno)")
        }
        guard socketpair(AF_UNIX, kind, 0, &stdoutPipe) == 0 else {
            close(stdinPipe[0])
            close(stdinPipe[1])
            throw HarnessError(description: "socketpair: errno \(errno)")
        }
        errorPath = "/tmp/machat-e2e-child-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        let errorFile = open(errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        // ProcessSpawner dup2s each source onto its target, so the sources must
        // not already be 0, 1 or 2: move the child's ends above 10.
        let childIn = fcntl(stdinPipe[0], F_DUPFD_CLOEXEC, 10)
        let childOut = fcntl(stdoutPipe[1], F_DUPFD_CLOEXEC, 10)
        let childErr = fcntl(errorFile, F_DUPFD_CLOEXEC, 10)
        for fd in [stdinPipe[0], stdoutPipe[1], errorFile] where fd >= 0 { close(fd) }
        defer {
            for fd in [childIn, childOut, childErr] where fd >= 0 { close(fd) }
        }
        input = stdinPipe[1]
        output = stdoutPipe[0]
        do {
            pid = try ProcessSpawner.spawn(
                executable: executable, arguments: arguments, environment: environment,
                inherit: [
                    (FileDescriptor(rawValue: childIn), 0), (FileDescriptor(rawValue: childOut), 1),
                    (FileDescriptor(rawValue: childErr), 2),
                ])
        } catch {
            close(input)
            close(output)
            unlink(errorPath)
            throw HarnessError(description: "cannot spawn \(executable): \(error)")
        }
    }

    deinit {
        if input >= 0 { close(input) }
        close(output)
        if status == nil {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
        }
        unlink(errorPath)
    }

    /// Writes `text` to the child's stdin.
    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while input >= 0 && offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Bytes written to the child's stdin that it has not read yet (SIOCOUTQ
    /// on our end of the socket pair); 0 once it has taken everything.
    var unreadInput: Int {
        guard input >= 0 else { return 0 }
        var queued: Int32 = 0
        return ioctl(input, UInt(0x5411 /* SIOCOUTQ */), &queued) == 0 ? Int(queued) : 0
    }

    /// Closes the child's stdin (it sees end of input).
    func closeInput() {
        if input >= 0 {
            shutdown(input, Int32(SHUT_WR))
            close(input)
        }
        input = -1
    }

    /// Reads what the child wrote within `timeout`; false at end of output.
    @discardableResult
    private func fill(timeout: Double) -> Bool {
        guard !outputClosed else { return false }
        var pfd = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeout * 1000))) > 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
        if n > 0 {
            buffer += chunk[0..<n]
        } else if n == 0 || errno != EINTR {
            outputClosed = true
        }
        return !outputClosed
    }

    /// The next line of stdout (without `\n`), or nil after `timeout` or at its end.
    func readLine(timeout: Double = 5) -> String? {
        Collecting.line(timeout: timeout, pop: { Collecting.popLine(&buffer) }, fill: { fill(timeout: $0) })
    }

    /// Skips lines until one equals `line`; false if it does not come within `timeout`.
    func waitForLine(_ line: String, timeout: Double = 10) -> Bool {
        let deadline = MachatProcess.now() + timeout
        while let next = readLine(timeout: max(0, deadline - MachatProcess.now())) {
            if next == line { return true }
        }
        return false
    }

    /// Everything the child writes to stdout until it closes it (or `timeout`).
    func readToEnd(timeout: Double = 10) -> String {
        let deadline = MachatProcess.now() + timeout
        while MachatProcess.now() < deadline, fill(timeout: 0.1) {}
        defer { buffer = [] }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Waits for the child to exit; its raw waitpid status, or nil on timeout.
    func waitForExit(timeout: Double = 10) -> Int32? {
        if let status { return status }
        _ = MachatProcess.wait(timeout: timeout) {
            status = MachatProcess.reap(pid)
            return status != nil
        }
        return status
    }

    /// What the child wrote to stderr so far.
    var errorOutput: String { MachatProcess.read(errorPath) }

    /// The exit code of a waitpid status, nil if the process was killed by a signal.
    static func exitCode(_ status: Int32?) -> Int32? {
        guard let status, status & 0x7F == 0 else { return nil }
        return (status >> 8) & 0xFF
    }

    /// Whether `python3` can import `module` (ask before relying on it).
    static func pythonHasModule(_ module: String) -> Bool {
        guard let python = try? PipedProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", "import \(module)"])
        else { return false }
        python.closeInput()
        return exitCode(python.waitForExit(timeout: 20)) == 0
    }
}
