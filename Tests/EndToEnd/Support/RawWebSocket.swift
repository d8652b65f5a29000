@preconcurrency import Glibc
import Reactor

/// A WebSocket client for the hostile-input tests that speaks RFC 6455 by
/// hand, independently of our WebSocket module: the upgrade is checked
/// against the RFC's own sample (§1.3: key `dGhlIHNhbXBsZSBub25jZQ==`
/// gives `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`), frames are sent exactly as the test
/// builds them (`RawFrame`), and the server's frames are parsed here.
/// Sends are bounded by a send timeout, reads by deadlines.
final class RawWebSocket {
    /// One frame as the server sent it.
    struct Frame {
        let fin: Bool
        let opcode: UInt8
        let payload: [UInt8]
    }

    /// How the server ended the connection.
    struct Ending: CustomStringConvertible {
        /// Text messages that came before the end.
        var texts: [String] = []
        /// Pings the server sent meanwhile (not answered).
        var pings = 0
        /// The server's close frame: its code and reason, if it sent one.
        var closeCode: UInt16?
        var closeReason: String?
        /// The server closed the TCP connection (EOF or reset) within the wait.
        var closed = false

        var description: String {
            "texts \(texts.map { $0.prefix(120) }), \(pings) pings, close \(closeCode.map(String.init) ?? "none") \"\(closeReason ?? "")\", closed \(closed)"
        }
    }

    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    let fd: FileDescriptor
    private var buffer: [UInt8] = []
    private var random: SeededRandom
    /// EOF or a connection error was seen.
    private(set) var isClosed = false
    /// A masked server frame was seen (RFC 6455 §5.1 forbids it).
    private(set) var sawMaskedServerFrame = false
    /// The server's first close frame, once read.
    private(set) var closeFrame: Frame?

    /// Connects to 127.0.0.1:`port` (a small `receiveBuffer`, if given, is
    /// set before connecting so the window stays small) and, unless told
    /// otherwise, completes the upgrade at `/mychat`.
    init(port: UInt16, receiveBuffer: Int32? = nil, upgrade: Bool = true, seed: UInt64 = 0x5EED) throws {
        fd = try Hostile.connect(port: port, receiveBuffer: receiveBuffer)
        random = SeededRandom(seed: seed)
        if upgrade { try self.upgrade(request: Array(Self.upgradeRequest(port: port).utf8)) }
    }

    /// Connects and upgrades with `request`, a complete request head the
    /// test built (e.g. padded to an exact size).
    init(port: UInt16, request: [UInt8], seed: UInt64 = 0x5EED) throws {
        fd = try Hostile.connect(port: port)
        random = SeededRandom(seed: seed)
        try upgrade(request: request)
    }

    deinit {
        fd.close()
    }

    /// A correct upgrade request for `/mychat`, with `extra` header lines
    /// (each ending in CRLF) before the blank line.
    static func upgradeRequest(port: UInt16, extra: String = "") -> String {
        "GET /mychat HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(sampleKey)\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
    }

    /// Sends the upgrade request and checks the `101` answer.
    private func upgrade(request: [UInt8]) throws {
        send(request)
        let deadline = MachatProcess.now() + 5
        while true {
            if let end = Hostile.index(of: Array("\r\n\r\n".utf8), in: buffer) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                let lines = head.split(separator: "\r\n").map { $0.lowercased() }
                guard lines.first?.hasPrefix("http/1.1 101 ") == true,
                    lines.contains("sec-websocket-accept: \(Self.sampleAccept.lowercased())")
                else { throw HarnessError(description: "upgrade refused: \(head)") }
                return
            }
            let left = deadline - MachatProcess.now()
            guard left > 0, fill(timeout: left) else {
                throw HarnessError(description: "no upgrade answer: \(String(decoding: buffer, as: UTF8.self))")
            }
        }
    }

    /// Writes all of `bytes` unless the peer is gone or the send timeout
    /// passes; false then.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        Hostile.sendAll(fd, bytes)
    }

    /// A masked frame with a fresh key (what a correct client sends).
    @discardableResult
    func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true) -> Bool {
        send(RawFrame.frame(opcode: opcode, payload: payload, fin: fin, key: random.maskingKey()))
    }

    @discardableResult
    func sendText(_ text: String) -> Bool {
        sendFrame(opcode: RawFrame.text, payload: Array(text.utf8))
    }

    /// A fresh masking key from this client's seeded sequence.
    func nextKey() -> [UInt8] {
        random.maskingKey()
    }

    /// Reads what arrives within `timeout`; false once the connection ended.
    @discardableResult
    private func fill(timeout: Double) -> Bool {
        guard !isClosed else { return false }
        var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeout * 1000))) > 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = chunk.withUnsafeMutableBytes { recv(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 {
            buffer += chunk[0..<n]
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            isClosed = true
        }
        return !isClosed
    }

    /// Reads (and keeps, for `readToEnd`) until the server ends the
    /// connection; true if it did within `timeout`.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = MachatProcess.now() + timeout
        while !isClosed {
            let left = deadline - MachatProcess.now()
            if left <= 0 { break }
            fill(timeout: min(left, 0.05))
        }
        return isClosed
    }

    /// The next whole frame from the server, or nil on timeout or once the
    /// connection ended with no complete frame left.
    func nextFrame(timeout: Double) -> Frame? {
        let deadline = MachatProcess.now() + timeout
        while true {
            if let frame = popFrame() { return frame }
            let left = deadline - MachatProcess.now()
            if left <= 0 || !fill(timeout: min(left, 0.2)) { return popFrame() }
        }
    }

    private func popFrame() -> Frame? {
        guard buffer.count >= 2 else { return nil }
        let masked = buffer[1] & 0x80 != 0
        var length = Int(buffer[1] & 0x7F)
        var size = 2
        if length == 126 {
            guard buffer.count >= 4 else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            size = 4
        } else if length == 127 {
            guard buffer.count >= 10 else { return nil }
            length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
            size = 10
        }
        if masked {
            sawMaskedServerFrame = true
            size += 4
        }
        guard buffer.count >= size + length else { return nil }
        var payload = Array(buffer[size..<size + length])
        if masked {
            let key = Array(buffer[size - 4..<size])
            for index in payload.indices { payload[index] ^= key[index & 3] }
        }
        let frame = Frame(fin: buffer[0] & 0x80 != 0, opcode: buffer[0] & 0x0F, payload: payload)
        buffer.removeFirst(size + length)
        if frame.opcode == RawFrame.close && closeFrame == nil {
            closeFrame = frame
            // The server shuts its side after its close frame and discards
            // input until ours (a lingering close): give it at once.
            shutdown(fd.rawValue, Int32(SHUT_WR))
        }
        return frame
    }

    /// The next text message, answering pings and skipping pongs on the way;
    /// nil on timeout, at a close frame or at the end of the connection.
    func nextText(timeout: Double) -> String? {
        let deadline = MachatProcess.now() + timeout
        while let frame = nextFrame(timeout: max(0, deadline - MachatProcess.now())) {
            switch frame.opcode {
            case RawFrame.text: return String(decoding: frame.payload, as: UTF8.self)
            case RawFrame.ping: sendFrame(opcode: RawFrame.pong, payload: frame.payload)
            case RawFrame.close: return nil
            default: continue
            }
        }
        return nil
    }

    /// Reads until the server closes the connection or `timeout` passes:
    /// the texts before the close, the close frame's code and reason.
    func readToEnd(timeout: Double = 5) -> Ending {
        var ending = Ending()
        let deadline = MachatProcess.now() + timeout
        while MachatProcess.now() < deadline {
            if let frame = nextFrame(timeout: max(0, deadline - MachatProcess.now())) {
                if frame.opcode == RawFrame.text && closeFrame == nil {
                    ending.texts.append(String(decoding: frame.payload, as: UTF8.self))
                } else if frame.opcode == RawFrame.ping {
                    ending.pings += 1
                }
            } else if isClosed {
                ending.closed = true
                break
            }
        }
        if let payload = closeFrame?.payload {
            if payload.count >= 2 {
                ending.closeCode = UInt16(payload[0]) << 8 | UInt16(payload[1])
                ending.closeReason = String(decoding: payload[2...], as: UTF8.self)
            } else {
                ending.closeReason = ""
            }
        }
        return ending
    }

    /// Upgrades, joins, and waits for its own probe line, so the router has the member.
    static func joined(port: UInt16, name: String, room: String, timeout: Double = 10) throws -> RawWebSocket {
        let client = try RawWebSocket(port: port)
        client.sendText("{\"name\":\"\(name)\",\"room\":\"\(room)\"}")
        let probe = "probe-\(UInt32.random(in: 0...UInt32.max))"
        client.sendText(probe)
        let deadline = MachatProcess.now() + timeout
        while let text = client.nextText(timeout: max(0, deadline - MachatProcess.now())) {
            if text == "\(name):\(probe)\n" { return client }
        }
        throw HarnessError(description: "\(name) (raw WebSocket) did not see its own probe in room \(room)")
    }
}
