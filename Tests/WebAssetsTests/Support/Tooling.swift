@preconcurrency import Glibc
import Foundation

/// Paths in the repository and the outside tools the browser tests need, found once.
enum Tooling {
    /// The repository root: this file is Tests/WebAssetsTests/Support/Tooling.swift.
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The page's source files.
    static let webDirectory = repositoryRoot + "/web"

    /// The Python browser harness and mock chat server.
    static let browserScripts = repositoryRoot + "/Tests/WebAssetsTests/Browser"

    /// Chromium: `MACHAT_CHROMIUM` if set, else Debian's `/usr/bin/chromium`, if executable.
    static let chromium: String? = {
        let path = ProcessInfo.processInfo.environment["MACHAT_CHROMIUM"] ?? "/usr/bin/chromium"
        return access(path, X_OK) == 0 ? path : nil
    }()

    /// Node.js on PATH, if any (only for `node --check`).
    static let node: String? = which("node")

    /// Whether python3 can import the `websockets` package.
    static let pythonHasWebsockets: Bool = exitStatus(["python3", "-c", "import websockets.asyncio.server"]) == 0

    /// Why the real-browser tests cannot run here, or nil when they can.
    static let browserUnavailableReason: String? = {
        if chromium == nil { return "no Chromium at /usr/bin/chromium (apt-get install chromium, or set MACHAT_CHROMIUM)" }
        if !pythonHasWebsockets { return "python3 lacks the 'websockets' package (pip install websockets)" }
        return nil
    }()

    /// The exit status of `arguments` run through /usr/bin/env with no input or output, or -1.
    static func exitStatus(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `arguments` through /usr/bin/env and returns its exit status and combined output.
    static func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        let pipe = Pipe()
        let stdin = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = stdin
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        if let input { try stdin.fileHandleForWriting.write(contentsOf: input) }
        try stdin.fileHandleForWriting.close()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    private static func which(_ command: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(command)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }
}

/// A fresh temporary directory for one test, removed with everything in it at deinit.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/machat-web-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
