import Foundation

/// Runs python3 (an independent implementation for checks: its `json` and
/// `sqlite3` modules). Input and output go through files in a temporary
/// directory, so no pipe can fill up and stall either side.
final class Python {
    let process = Process()
    private let directory = TemporaryDirectory("python")

    /// Starts `script` with `arguments` and `input` on stdin.
    init(_ script: String, arguments: [String] = [], input: [UInt8] = []) throws {
        _ = FileManager.default.createFile(atPath: directory.file("in"), contents: Data(input))
        _ = FileManager.default.createFile(atPath: directory.file("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: directory.file("err"), contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script] + arguments
        process.standardInput = FileHandle(forReadingAtPath: directory.file("in"))
        process.standardOutput = FileHandle(forWritingAtPath: directory.file("out"))
        process.standardError = FileHandle(forWritingAtPath: directory.file("err"))
        try process.run()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Waits for python to exit (killing it after `timeout`); returns stdout,
    /// or throws with stderr if it failed.
    func finish(timeout: Double = 60) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = FileManager.default.contents(atPath: directory.file("out")) ?? Data()
        guard process.terminationStatus == 0 else {
            let errors = String(decoding: FileManager.default.contents(atPath: directory.file("err")) ?? Data(), as: UTF8.self)
            throw TestFailure("python3 failed (\(process.terminationStatus)): \(errors)")
        }
        return [UInt8](output)
    }

    /// Runs `script` to the end and returns its stdout.
    static func run(_ script: String, arguments: [String] = [], input: [UInt8] = [], timeout: Double = 60) throws -> [UInt8] {
        try Python(script, arguments: arguments, input: input).finish(timeout: timeout)
    }
}
