@preconcurrency import Glibc
import Foundation
import Reactor
import WebSocket

/// A WebSocket chat client for tests, built on our WebSocket library over a
/// real socket (Python's `websockets` is the independent client; see
/// IndependentClientTests).
final class WebSocketTestClient {
    let fd: FileDescriptor
    private var machine = WebSocketStateMachine(role: .client)
    private var messages: [(WebSocketMessageKind, [UInt8])] = []
    private(set) var closeCode: UInt16?
    private(set) var isClosed = false
    /// The HTTP response head when the upgrade was refused.
    private(set) var refusal: String?

    /// Connects and completes the upgrade; if the server refuses, `refusal`
    /// holds the status line and body.
    init(port: UInt16, path: String = "/mychat", origin: String? = nil) throws {
        fd = try Socket.connectTCP(try SocketAddress.resolve("127.0.0.1:\(port)")[0])
        var key = [UInt8](repeating: 0, count: 16)
        for index in key.indices { key[index] = UInt8.random(in: 0...255) }
        var handshake = ClientHandshake(host: "127.0.0.1:\(port)", path: path, origin: origin, key: key)
        write(handshake.requestBytes())
        var raw: [UInt8] = []
        let deadline = MachatProcess.now() + 5
        while MachatProcess.now() < deadline {
            // A busy machine may take longer than one poll to answer: only
            // EOF ends the wait early.
            guard let chunk = receive(timeout: 0.2) else {
                if isClosed { break }
                continue
            }
            raw += chunk
            let result = chunk.withUnsafeBytes { handshake.receive($0) }
            switch result {
            case .needMore:
                continue
            case .upgraded(_, let leftover):
                leftover.withUnsafeBytes { process($0) }
                return
            case .failure:
                // Collect the rest of the refusal (its body) until close.
                while let more = receive(timeout: 0.5) { raw += more }
                refusal = String(decoding: raw, as: UTF8.self)
                return
            }
        }
        refusal = String(decoding: raw, as: UTF8.self)
    }

    /// Connects, upgrades and sends the join.
    convenience init(port: UInt16, name: String, room: String) throws {
        try self.init(port: port)
        guard refusal == nil else { throw HarnessError(description: "upgrade refused: \(refusal!)") }
        sendText("{\"name\":\"\(name)\",\"room\":\"\(room)\"}")
    }

    deinit {
        fd.close()
    }

    func sendText(_ text: String) {
        write(machine.encodeText(text))
    }

    func sendBinary(_ bytes: [UInt8]) {
        write(machine.encodeBinary(bytes))
    }

    func sendRaw(_ bytes: [UInt8]) {
        write(bytes)
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    /// One read of up to 64 KiB within `timeout`; nil on timeout or EOF.
    private func receive(timeout: Double) -> [UInt8]? {
        var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n <= 0 {
            isClosed = true
            return nil
        }
        return Array(chunk[0..<n])
    }

    private func process(_ bytes: UnsafeRawBufferPointer) {
        for action in machine.receive(bytes) {
            switch action {
            case .message(let kind, let payload): messages.append((kind, payload))
            case .send(let frame): write(frame)
            case .pongReceived: break
            case .closeConnection:
                closeCode = machine.peerCloseCode
                isClosed = true
            }
        }
    }

    /// The next text message, or nil after `timeout` or close.
    func readText(timeout: Double = 5) -> String? {
        let deadline = MachatProcess.now() + timeout
        while messages.isEmpty && !isClosed && MachatProcess.now() < deadline {
            if let chunk = receive(timeout: min(0.2, max(0, deadline - MachatProcess.now()))) {
                chunk.withUnsafeBytes { process($0) }
            }
        }
        guard !messages.isEmpty else { return nil }
        return String(decoding: messages.removeFirst().1, as: UTF8.self)
    }

    /// The next message of either kind with its exact payload, or nil after
    /// `timeout` or close.
    func readMessage(timeout: Double = 5) -> (kind: WebSocketMessageKind, payload: [UInt8])? {
        let deadline = MachatProcess.now() + timeout
        while messages.isEmpty && !isClosed && MachatProcess.now() < deadline {
            if let chunk = receive(timeout: min(0.2, max(0, deadline - MachatProcess.now()))) {
                chunk.withUnsafeBytes { process($0) }
            }
        }
        guard !messages.isEmpty else { return nil }
        let (kind, payload) = messages.removeFirst()
        return (kind, payload)
    }

    /// Connects, joins and waits until its own probe line comes back, so the
    /// router has the member.
    static func joined(port: UInt16, name: String, room: String, timeout: Double = 10) throws -> WebSocketTestClient {
        let client = try WebSocketTestClient(port: port, name: name, room: room)
        let probe = "probe-\(UInt32.random(in: 0...UInt32.max))"
        client.sendText(probe)
        let deadline = MachatProcess.now() + timeout
        while let text = client.readText(timeout: max(0, deadline - MachatProcess.now())) {
            if text == "\(name):\(probe)\n" { return client }
        }
        throw HarnessError(description: "\(name) (WebSocket) did not see its own probe in room \(room)")
    }

    /// Keeps trying to connect, upgrade and join until it works or `timeout`
    /// passes: for a gateway that is being restarted.
    static func joinedEventually(
        port: UInt16, name: String, room: String, timeout: Double = 20
    ) throws
        -> WebSocketTestClient
    {
        try Collecting.retrying("\(name) (WebSocket) could not join \(room)", timeout: timeout) {
            try joined(port: port, name: name, room: room, timeout: $0)
        }
    }

    /// Texts until `count` arrived or `timeout` passed.
    func readTexts(_ count: Int, timeout: Double = 10) -> [String] {
        Collecting.values(count, timeout: timeout) { readText(timeout: $0) }
    }

    /// Waits for the server's close frame or EOF.
    func waitForClose(timeout: Double = 5) -> Bool {
        let deadline = MachatProcess.now() + timeout
        while !isClosed && MachatProcess.now() < deadline {
            if let chunk = receive(timeout: 0.1) { chunk.withUnsafeBytes { process($0) } }
        }
        return isClosed
    }
}
