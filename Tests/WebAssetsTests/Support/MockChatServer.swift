import Foundation
import WebAssets
import WebSocket

/// Browser/mock_chat_server.py, a test double of the WebSocket gateway: it serves the
/// page's exact HTTP responses from `WebSite` and speaks the JSON chat protocol on
/// /mychat, steered by JSON-lines commands (documented in the script's header).
final class MockChatServer {
    private let process: JSONLinesProcess
    private var nextID = 0
    /// The loopback port it listens on.
    let port: Int
    /// The page's address, `http://127.0.0.1:PORT/`.
    var url: String { "http://127.0.0.1:\(port)/" }

    /// Writes `site`'s GET responses into `scratch`/site and starts the mock serving them.
    init(site: WebSite, scratch: String, token: String? = nil) throws {
        let directory = scratch + "/site"
        try Self.writeResponses(of: site, to: directory)
        var arguments = ["python3", "-u", Tooling.browserScripts + "/mock_chat_server.py", "--responses", directory]
        if let token { arguments += ["--token", token] }
        process = try JSONLinesProcess(name: "mock_chat_server", arguments: arguments, errorPath: scratch + "/mock.err")
        guard let listening = process.first(timeout: 20, where: { $0["event"] as? String == "listening" }),
            let port = listening["port"] as? Int
        else {
            throw ToolFailure(description: "the mock chat server did not start; stderr:\n\(process.errorOutput)")
        }
        self.port = port
    }

    deinit { stop() }

    /// Sends `command` and returns its reply; throws if the mock reports a failure.
    @discardableResult
    func command(_ command: [String: Any]) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        var command = command
        command["id"] = id
        try process.send(command)
        guard
            let reply = process.first(
                timeout: 20, where: { $0["event"] as? String == "reply" && ($0["id"] as? Int) == id })
        else {
            throw ToolFailure(description: "no reply from the mock to \(command); stderr:\n\(process.errorOutput)")
        }
        guard reply["ok"] as? Bool == true else {
            throw ToolFailure(description: "mock: \(reply["error"] ?? "failed") (command \(command))")
        }
        return reply
    }

    /// Lines from a scripted member of `room` (no connection); returns their offsets.
    @discardableResult
    func say(room: String, name: String, lines: [String]) throws -> [Int] {
        try command(["cmd": "say", "room": room, "name": name, "lines": lines])["offsets"] as? [Int] ?? []
    }

    /// A scripted member joins (`present`) or leaves `room`; members with presence see it.
    func member(room: String, name: String, present: Bool) throws {
        try command(["cmd": "member", "room": room, "name": name, "present": present])
    }

    /// Drops every client connection (`restart`: error + close 1001; `abort`: TCP cut), then
    /// refuses upgrades for `refuseMilliseconds`.
    func drop(mode: String, refuseMilliseconds: Int) throws {
        try command(["cmd": "drop", "mode": mode, "refuse_ms": refuseMilliseconds])
    }

    /// Starts `room`'s log again with a new epoch; `notify` sends open connections a new welcome.
    func newEpoch(room: String, notify: Bool) throws {
        try command(["cmd": "new_epoch", "room": room, "notify": notify])
    }

    /// `room`'s epoch, last offset, members and open connections.
    func state(room: String) throws -> [String: Any] {
        try command(["cmd": "state", "room": room])
    }

    /// The next event called `event` (join, refused, say, leave) that `matches`, within `timeout`.
    func event(
        _ event: String, timeout: Double = 10, where matches: ([String: Any]) -> Bool = { _ in true }
    )
        -> [String: Any]?
    {
        process.first(timeout: timeout) { $0["event"] as? String == event && matches($0) }
    }

    /// What the mock wrote to stderr.
    var errorOutput: String { process.errorOutput }

    /// Stops the mock (idempotent).
    func stop() {
        process.stop(timeout: 10)
    }

    /// Writes each of `site`'s paths' GET response, byte for byte, and a manifest.json that maps paths to files.
    static func writeResponses(of site: WebSite, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var manifest: [String: String] = [:]
        for (index, path) in site.paths.enumerated() {
            let head = HTTPRequestHead(method: "GET", target: path, version: .http1_1, headers: [("Host", "127.0.0.1")])
            guard let bytes = site.response(for: head, unixTime: Int(Date().timeIntervalSince1970)) else {
                throw ToolFailure(description: "the site does not answer its own path \(path)")
            }
            let file = "\(index).http"
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + file))
            manifest[path] = file
        }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
    }
}
