import Foundation

/// A chat member speaking the JSON format over TCP or WebSocket, for the
/// room-log tests: it sends a join object with any keys and reads the
/// server's objects, parsed with Foundation's JSONSerialization (a parser we
/// did not write; Python's `json` checks the raw bytes separately).
final class JSONChatClient {
    enum Transport {
        case tcp
        case webSocket
    }

    private let tcp: LineClient?
    private let webSocket: WebSocketTestClient?
    /// Every raw message received so far (a line on TCP, a frame on WebSocket).
    private(set) var rawMessages: [String] = []

    /// Connects and sends `join` (a JSON object; `format` is not added).
    init(_ transport: Transport, server: MachatProcess, join: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: join, options: [.sortedKeys])
        let text = String(decoding: data, as: UTF8.self)
        switch transport {
        case .tcp:
            let client = try LineClient(port: server.tcpPort)
            client.send(text + "\n")
            tcp = client
            webSocket = nil
        case .webSocket:
            let client = try WebSocketTestClient(port: server.wsPort)
            if let refusal = client.refusal { throw HarnessError(description: "upgrade refused: \(refusal)") }
            client.sendText(text)
            tcp = nil
            webSocket = client
        }
    }

    /// A JSON member of `room` with `extra` join keys.
    convenience init(
        _ transport: Transport, server: MachatProcess, name: String, room: String, extra: [String: Any] = [:]
    ) throws {
        var join: [String: Any] = ["name": name, "room": room, "format": "json"]
        join.merge(extra) { _, new in new }
        try self.init(transport, server: server, join: join)
    }

    func send(_ line: String) {
        if let tcp { tcp.send(line + "\n") }
        if let webSocket { webSocket.sendText(line) }
    }

    /// The next raw message (TCP: a line without its newline; WebSocket: one
    /// text frame as is).
    func nextRaw(timeout: Double = 5) -> String? {
        let raw = tcp?.readLine(timeout: timeout) ?? webSocket?.readText(timeout: timeout)
        if let raw { rawMessages.append(raw) }
        return raw
    }

    /// The next object, or nil after `timeout` or close.
    func next(timeout: Double = 5) -> [String: Any]? {
        guard let raw = nextRaw(timeout: timeout) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
            return ["type": "unparsable", "raw": raw]
        }
        return object
    }

    /// Objects until one has type `type` (returned) or `timeout` passes;
    /// the skipped ones go to `skipped`.
    func next(ofType type: String, timeout: Double = 5, skipped: inout [[String: Any]]) -> [String: Any]? {
        let deadline = MachatProcess.now() + timeout
        while let object = next(timeout: max(0, deadline - MachatProcess.now())) {
            if object["type"] as? String == type { return object }
            skipped.append(object)
        }
        return nil
    }

    /// The next `count` objects (fewer if they do not come within `timeout`).
    func next(_ count: Int, timeout: Double = 10) -> [[String: Any]] {
        Collecting.values(count, timeout: timeout) { next(timeout: $0) }
    }

    /// Message objects until one with offset `offset` arrived (inclusive), or
    /// `timeout`; other types are dropped.
    func messages(through offset: Int, timeout: Double = 15) -> [[String: Any]] {
        var seen: [[String: Any]] = []
        let deadline = MachatProcess.now() + timeout
        while let object = next(timeout: max(0, deadline - MachatProcess.now())) {
            guard object["type"] as? String == "message" else { continue }
            seen.append(object)
            if (object["offset"] as? Int ?? 0) >= offset { break }
        }
        return seen
    }

    func waitForClose(timeout: Double = 5) -> Bool {
        tcp?.waitForClose(timeout: timeout) ?? webSocket?.waitForClose(timeout: timeout) ?? true
    }

    /// The WebSocket close code, when the server closed with one.
    var closeCode: UInt16? { webSocket?.closeCode }
}

extension [String: Any] {
    var type: String? { self["type"] as? String }
    var offset: Int? { self["offset"] as? Int }
    var text: String? { self["text"] as? String }
    var name: String? { self["name"] as? String }
}
