@preconcurrency import Glibc
import Foundation

/// A test failure of a helper process, with what it was doing.
struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}

/// A child process spoken to in JSON lines: one object per line on its stdin, one per line
/// back on its stdout (answers and events), stderr kept in a file for failure messages.
/// `stop()` (or deinit) ends it: end of input first, SIGKILL if it does not exit in time.
final class JSONLinesProcess {
    let name: String
    private let process = Process()
    private let input: FileHandle
    private let output: Int32
    private let outputPipe: Pipe
    private let errorPath: String
    private var buffer: [UInt8] = []
    private var received: [[String: Any]] = []
    private var outputEnded = false

    /// Starts `arguments[0]` (looked up on PATH through /usr/bin/env) with the rest as arguments;
    /// stderr goes to `errorPath`.
    init(name: String, arguments: [String], errorPath: String) throws {
        // A write to a process that died must fail with EPIPE, not kill the test runner.
        signal(SIGPIPE, SIG_IGN)
        self.name = name
        self.errorPath = errorPath
        guard FileManager.default.createFile(atPath: errorPath, contents: nil) else {
            throw ToolFailure(description: "cannot create \(errorPath)")
        }
        let inputPipe = Pipe()
        outputPipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
        input = inputPipe.fileHandleForWriting
        output = outputPipe.fileHandleForReading.fileDescriptor
    }

    deinit { stop(timeout: 5) }

    /// What the process wrote to stderr so far (the last 4,000 characters).
    var errorOutput: String {
        String((try? String(contentsOfFile: errorPath, encoding: .utf8))?.suffix(4000) ?? "")
    }

    /// Writes `object` as one JSON line.
    func send(_ object: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: object)
        data.append(0x0A)
        do {
            try input.write(contentsOf: data)
        } catch {
            throw ToolFailure(description: "\(name) is not reading its input (\(error)); stderr:\n\(errorOutput)")
        }
    }

    /// The first object received (now or within `timeout` seconds) that `matches`, removed
    /// from what was received; objects that do not match stay for later calls.
    func first(timeout: Double, where matches: ([String: Any]) -> Bool) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        var scanned = 0
        while true {
            while scanned < received.count {
                if matches(received[scanned]) { return received.remove(at: scanned) }
                scanned += 1
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, !outputEnded else { return nil }
            readLines(timeout: left)
        }
    }

    /// Ends the process: closes its input (it quits at end of input), waits up to `timeout`
    /// seconds, then kills it.
    func stop(timeout: Double) {
        guard process.isRunning else { return }
        try? input.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private func readLines(timeout: Double) {
        var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(min(timeout, 1) * 1000) + 1) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        if count <= 0 {
            if count == 0 || errno != EINTR { outputEnded = true }
            return
        }
        buffer += chunk[0..<count]
        while let newline = buffer.firstIndex(of: 0x0A) {
            let line = Data(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] {
                received.append(object)
            }
        }
    }
}
