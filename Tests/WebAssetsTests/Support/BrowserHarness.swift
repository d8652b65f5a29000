import Foundation

/// A real headless Chromium driven through the Chrome DevTools Protocol by
/// Browser/cdp_harness.py (its header documents the JSON-lines commands). Each method
/// sends one command and waits for its answer; a failed command throws with the
/// harness's message. `quit()` (or deinit) stops Chromium and removes its profile.
final class BrowserHarness {
    private let process: JSONLinesProcess
    private var nextID = 0
    /// The browser's product string, such as `Chrome/156.0.8078.114`.
    let product: String

    /// Starts Chromium with a profile inside `scratch`, waiting up to 60 s for it to be ready.
    init(scratch: String) throws {
        guard let chromium = Tooling.chromium else { throw ToolFailure(description: "no chromium") }
        process = try JSONLinesProcess(
            name: "cdp_harness",
            arguments: [
                "python3", "-u", Tooling.browserScripts + "/cdp_harness.py", "--chromium", chromium, "--tmp-parent", scratch,
            ],
            errorPath: scratch + "/cdp_harness.err")
        guard let ready = process.first(timeout: 60, where: { $0["event"] != nil }) else {
            throw ToolFailure(description: "the browser harness did not start; stderr:\n\(process.errorOutput)")
        }
        guard ready["event"] as? String == "ready", let product = ready["product"] as? String else {
            throw ToolFailure(description: "the browser harness failed: \(ready); stderr:\n\(process.errorOutput)")
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
        try process.send(command)
        guard let answer = process.first(timeout: timeout, where: { ($0["id"] as? Int) == id }) else {
            throw ToolFailure(
                description: "no answer from the browser harness to \(command) in \(timeout) s; stderr:\n\(process.errorOutput)")
        }
        guard answer["ok"] as? Bool == true else {
            throw ToolFailure(description: "browser: \(answer["error"] ?? "failed") (command \(command))")
        }
        return answer["value"] is NSNull ? nil : answer["value"]
    }

    /// Opens `url` in `page` (created on first use) and waits until it has loaded.
    func open(_ url: String, page: String = "main") throws {
        try run(["cmd": "open", "url": url, "page": page, "timeout": 20])
    }

    /// The JSON value of the JavaScript expression `expression`.
    @discardableResult
    func eval(_ expression: String, page: String = "main") throws -> Any? {
        try run(["cmd": "eval", "expr": expression, "page": page])
    }

    /// Waits until `expression` is truthy and returns its value; throws after `timeout` seconds.
    @discardableResult
    func wait(_ expression: String, timeout: Double = 10, page: String = "main") throws -> Any? {
        try run(["cmd": "wait", "expr": expression, "timeout": timeout, "page": page], timeout: timeout + 30)
    }

    /// A real mouse click at the centre of the element `selector` matches.
    func click(_ selector: String, page: String = "main") throws {
        try run(["cmd": "click", "selector": selector, "page": page])
    }

    /// Moves the keyboard focus to the element `selector` matches.
    func focus(_ selector: String, page: String = "main") throws {
        try run(["cmd": "focus", "selector": selector, "page": page])
    }

    /// Types `text` as keyboard input, into `selector` (focused first) when given.
    func type(_ text: String, into selector: String? = nil, page: String = "main") throws {
        var command: [String: Any] = ["cmd": "type", "text": text, "page": page]
        if let selector { command["selector"] = selector }
        try run(command)
    }

    /// Presses and releases `key` (Enter, Tab, Escape, …) with `modifiers` (Shift, Control, Alt, Meta).
    func key(_ key: String, modifiers: [String] = [], page: String = "main") throws {
        try run(["cmd": "key", "key": key, "modifiers": modifiers, "page": page])
    }

    /// Emulates a window of `width` × `height` CSS pixels; `mobile` also emulates a phone's viewport rules.
    func viewport(width: Int, height: Int, scale: Double = 1, mobile: Bool = false, page: String = "main") throws {
        try run(["cmd": "viewport", "width": width, "height": height, "scale": scale, "mobile": mobile, "page": page])
    }

    /// Emulates the system's colour scheme preference: `light`, `dark`, or `` for none.
    func colorScheme(_ value: String, page: String = "main") throws {
        try run(["cmd": "color_scheme", "value": value, "page": page])
    }

    /// Writes a PNG of the viewport to `path` and returns its size in bytes.
    @discardableResult
    func screenshot(to path: String, page: String = "main") throws -> Int {
        let value = try run(["cmd": "screenshot", "path": path, "page": page]) as? [String: Any]
        return value?["bytes"] as? Int ?? 0
    }

    /// Console calls, exceptions, Log entries and dialogs since the last call.
    func logs(page: String = "main") throws -> [[String: Any]] {
        try run(["cmd": "logs", "page": page]) as? [[String: Any]] ?? []
    }

    /// Stops Chromium and the harness (idempotent).
    func quit() {
        if (try? process.send(["cmd": "quit"])) != nil {
            _ = process.first(timeout: 10) { $0["id"] is NSNull && $0["ok"] != nil }
        }
        process.stop(timeout: 15)
    }
}
