@preconcurrency import Glibc
import Foundation

/// A real headless Chromium for end-to-end tests, driven over the Chrome DevTools Protocol
/// by the WebAssetsTests harness script (Tests/WebAssetsTests/Browser/cdp_harness.py; its
/// header documents the JSON-lines commands). Pages are named tabs of one browser, created
/// by their first `open`. `quit()` (or deinit) stops Chromium and removes its profile and
/// this session's scratch directory.
///
/// A small copy of WebAssetsTests' `BrowserHarness` (test targets cannot share code),
/// speaking to the script through `PipedProcess`.
final class BrowserSession {
    /// The repository root: this file is Tests/EndToEnd/Support/BrowserSession.swift.
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The one CDP harness of the repository, shared with WebAssetsTests.
    static let harnessScript = repositoryRoot + "/Tests/WebAssetsTests/Browser/cdp_harness.py"

    /// Chromium: `MACHAT_CHROMIUM` if set, else Debian's `/usr/bin/chromium`, if executable.
    static let chromium: String? = {
        let path = ProcessInfo.processInfo.environment["MACHAT_CHROMIUM"] ?? "/usr/bin/chromium"
        return access(path, X_OK) == 0 ? path : nil
    }()

    /// Why a browser cannot be started here, or nil when it can. Python's `websockets`
    /// is installed from PyPI when missing, as for the other end-to-end tests.
    static let unavailableReason: String? = {
        guard chromium != nil else {
            return "no Chromium at /usr/bin/chromium (apt-get install chromium, or set MACHAT_CHROMIUM)"
        }
        // The harness needs the asyncio client of websockets 13 or later.
        guard PythonWebSocketClient.isAvailable, PipedProcess.pythonHasModule("websockets.asyncio.client") else {
            return "python3 lacks the 'websockets' package, version 13 or later (pip install websockets)"
        }
        return nil
    }()

    /// This session's directory: Chromium's profile lives in it while it runs.
    let scratch: String
    /// The browser's product string, such as `Chrome/156.0.8078.114`.
    let product: String
    private let process: PipedProcess
    private var nextID = 0
    private var stopped = false

    /// Starts Chromium, waiting up to 60 s for the harness to report it ready.
    init() throws {
        guard let chromium = Self.chromium else { throw HarnessError(description: "no chromium") }
        scratch = "/tmp/machat-e2e-browser-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(scratch, 0o700) == 0 else { throw HarnessError(description: "cannot create \(scratch): errno \(errno)") }
        do {
            process = try PipedProcess(
                executable: "/usr/bin/env",
                arguments: ["python3", "-u", Self.harnessScript, "--chromium", chromium, "--tmp-parent", scratch])
        } catch {
            rmdir(scratch)
            throw error
        }
        let ready = Self.nextObject(from: process, timeout: 60) { $0["event"] != nil }
        guard ready?["event"] as? String == "ready", let product = ready?["product"] as? String else {
            let reason = "the browser harness did not start (\(ready.map { "\($0)" } ?? "no answer")); stderr:\n"
            let output = process.errorOutput
            process.closeInput()
            _ = process.waitForExit(timeout: 15)
            try? FileManager.default.removeItem(atPath: scratch)
            throw HarnessError(description: reason + output)
        }
        self.product = product
    }

    deinit { quit() }

    /// Sends `command` (see cdp_harness.py) and returns its value; `timeout` bounds the wait for the answer.
    @discardableResult
    func run(_ command: [String: Any], timeout: Double = 60) throws -> Any? {
        nextID += 1
        let id = nextID
        var command = command
        command["id"] = id
        let line = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
        process.write(line + "\n")
        // Answers come in order; an answer to an earlier command that timed out is skipped.
        guard let answer = Self.nextObject(from: process, timeout: timeout, where: { ($0["id"] as? Int) == id }) else {
            throw HarnessError(
                description: "no answer from the browser harness to \(line) in \(timeout) s; stderr:\n\(process.errorOutput)")
        }
        guard answer["ok"] as? Bool == true else {
            throw HarnessError(description: "browser: \(answer["error"] ?? "failed") (command \(line))")
        }
        return answer["value"] is NSNull ? nil : answer["value"]
    }

    /// Opens `url` in `page` (created on first use) and waits until it has loaded.
    func open(_ url: String, page: String) throws {
        try run(["cmd": "open", "url": url, "page": page, "timeout": 20])
    }

    /// The JSON value of the JavaScript expression `expression` (promises are awaited).
    @discardableResult
    func eval(_ expression: String, page: String) throws -> Any? {
        try run(["cmd": "eval", "expr": expression, "page": page])
    }

    /// Waits until `expression` is truthy (polled every 50 ms) and returns its value;
    /// throws with its last value after `timeout` seconds.
    @discardableResult
    func wait(_ expression: String, timeout: Double = 10, page: String) throws -> Any? {
        try run(["cmd": "wait", "expr": expression, "timeout": timeout, "page": page], timeout: timeout + 30)
    }

    /// A real mouse click at the centre of the element `selector` matches.
    func click(_ selector: String, page: String) throws {
        try run(["cmd": "click", "selector": selector, "page": page])
    }

    /// Types `text` as keyboard input into `selector` (focused first).
    func type(_ text: String, into selector: String, page: String) throws {
        try run(["cmd": "type", "text": text, "selector": selector, "page": page])
    }

    /// Presses and releases `key` (Enter, Tab, Escape, …).
    func key(_ key: String, page: String) throws {
        try run(["cmd": "key", "key": key, "page": page])
    }

    /// Emulates a window of `width` × `height` CSS pixels at `scale` device pixels per CSS pixel.
    func viewport(width: Int, height: Int, scale: Double = 1, page: String) throws {
        try run(["cmd": "viewport", "width": width, "height": height, "scale": scale, "mobile": false, "page": page])
    }

    /// Emulates the system's colour scheme preference: `light`, `dark`, or `` for none.
    func colorScheme(_ value: String, page: String) throws {
        try run(["cmd": "color_scheme", "value": value, "page": page])
    }

    /// Writes a PNG of the viewport to `path` and returns its size in bytes.
    @discardableResult
    func screenshot(to path: String, page: String) throws -> Int {
        let value = try run(["cmd": "screenshot", "path": path, "page": page]) as? [String: Any]
        return value?["bytes"] as? Int ?? 0
    }

    /// Console calls, exceptions, Log entries (CSP violations, network errors) and
    /// dialogs of `page` since the last call.
    func logs(page: String) throws -> [[String: Any]] {
        try run(["cmd": "logs", "page": page]) as? [[String: Any]] ?? []
    }

    /// Stops Chromium and the harness and removes the scratch directory (idempotent).
    func quit() {
        guard !stopped else { return }
        stopped = true
        process.write("{\"cmd\":\"quit\"}\n")
        process.closeInput()
        // The harness closes the browser, kills what is left of its process group and
        // removes the profile; SIGKILL (PipedProcess's deinit) only if it hangs.
        _ = process.waitForExit(timeout: 20)
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// The next JSON object line of `process`'s stdout that `matches`, skipping others;
    /// nil after `timeout` seconds or at the end of its output.
    private static func nextObject(
        from process: PipedProcess, timeout: Double, where matches: ([String: Any]) -> Bool
    ) -> [String: Any]? {
        let deadline = MachatProcess.now() + timeout
        while let line = process.readLine(timeout: max(0, deadline - MachatProcess.now())) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if matches(object) { return object }
        }
        return nil
    }
}
