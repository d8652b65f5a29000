import Foundation

/// Runs Python 3, the independent implementation our hashes, encodings and
/// tokens are checked against (hashlib, hmac, base64, json, PyJWT). Each run
/// gets a fresh temporary directory for its stdin, stdout and stderr, removed
/// afterwards, and is killed if it outlives its timeout.
enum Python {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `python3 -c script arguments…` with `input` on stdin and returns its stdout.
    static func run(_ script: String, arguments: [String] = [], input: String = "", timeout: Double = 60) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("machat-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("stdin")
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        try Data(input.utf8).write(to: inputURL)
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let stdin = try FileHandle(forReadingFrom: inputURL)
        let stdout = try FileHandle(forWritingTo: outputURL)
        let stderr = try FileHandle(forWritingTo: errorURL)
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
            throw Failure(description: "python3 did not finish within \(timeout) s")
        }
        let output = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let errors = String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
            throw Failure(description: "python3 exited with \(process.terminationStatus): \(errors)")
        }
        return output
    }

    /// Whether PyJWT can be imported, installing it with pip first if it is
    /// missing (a test-only tool; the server never uses Python). Checked once.
    static let hasPyJWT: Bool = {
        if (try? run("import jwt")) != nil { return true }
        for extra in [[], ["--user"]] {
            let install =
                "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', "
                + "'--quiet', '--disable-pip-version-check'] + sys.argv[1:] + ['PyJWT']))"
            _ = try? run(install, arguments: extra, timeout: 180)
            if (try? run("import jwt")) != nil { return true }
        }
        return false
    }()

    /// Runs a script that imports PyJWT, after making sure it is installed.
    static func runPyJWT(_ script: String, arguments: [String] = [], input: String = "") throws -> String {
        guard hasPyJWT else { throw Failure(description: "python3 with PyJWT is required: pip install PyJWT") }
        return try run(script, arguments: arguments, input: input)
    }
}
