@preconcurrency import Glibc
import Reactor
import RouterProtocol
import WebSocket

/// A client on the WebSocket gateway: an HTTP/1.1 upgrade (RFC 6455 §4), then
/// the JSON join as the first text message, then text messages split on `\n`
/// into lines. Errors are text messages `error: …` followed by a close frame.
final class WebSocketSession: GatewaySession {
    private enum Mode {
        case handshake(HTTPRequestParser)
        case chat
        case echo
    }

    private let options: WebSocketOptions
    private var mode: Mode
    private var machine: WebSocketStateMachine?
    private var pendingActions: [WebSocketAction] = []
    /// Dead-peer detection: set when a ping went out, cleared by any input.
    var awaitingPong = false
    var sawInput = false

    init(conn: ConnectionID, connection: StreamConnection, gateway: Gateway, options: WebSocketOptions) {
        self.options = options
        self.mode = .handshake(HTTPRequestParser(maxHeadBytes: options.maxHeadBytes))
        super.init(conn: conn, connection: connection, gateway: gateway)
    }

    var isUpgraded: Bool { machine != nil }

    override func receive(_ bytes: UnsafeRawBufferPointer) {
        sawInput = true
        awaitingPong = false
        switch mode {
        case .handshake(var parser):
            let result = parser.feed(bytes)
            mode = .handshake(parser)
            switch result {
            case .needMore:
                return
            case .failure(let error):
                respondAndClose(error.responseBytes(), reason: error.reason)
            case .complete(let head, let leftover):
                upgrade(head, leftover: leftover)
            }
        case .chat, .echo:
            process(bytes)
        }
    }

    /// Applies path and origin policy, then completes the handshake.
    private func upgrade(_ head: HTTPRequestHead, leftover: [UInt8]) {
        let path = String(head.path)
        let isEcho = options.echoPath.map { $0 == path } ?? false
        if path != options.path && !isEcho, let site = gateway.webSite, let response = site.response(for: head, unixTime: time(nil)) {
            Log.debug("web page request", ["conn": conn, "method": head.method, "path": path])
            connection.write(response)
            gateway.retire(self)
            connection.closeAfterFlush(.local("web page served"))
            return
        }
        guard path == options.path || isEcho else {
            respondAndClose(
                HTTPResponse.bytes(
                    status: 404, reason: "Not Found", body: "error: no websocket endpoint at \(path); use \(options.path)\n"),
                reason: "unknown path \(path)")
            return
        }
        if let origin = head.value("Origin"), !options.allows(origin: origin, host: head.value("Host")) {
            Log.info("origin refused", ["conn": conn, "origin": origin, "host": head.value("Host") ?? ""])
            respondAndClose(
                HTTPResponse.bytes(
                    status: 403, reason: "Forbidden",
                    body: "error: origin \(origin) is not allowed; ask the operator to add it with -origins\n"),
                reason: "origin not allowed")
            return
        }
        if head.value("Upgrade") == nil && head.method == "GET" {
            respondAndClose(
                HTTPResponse.bytes(
                    status: 400, reason: "Bad Request",
                    body:
                        "error: this is a WebSocket endpoint; connect with a WebSocket client (RFC 6455), then send {\"name\":\"…\",\"room\":\"…\"}\n"
                ),
                reason: "plain http request")
            return
        }
        switch ServerHandshake.validate(head) {
        case .failure(let error):
            respondAndClose(error.responseBytes(), reason: error.reason)
        case .success(let accept):
            connection.write(ServerHandshake.switchingProtocols(accept: accept))
            if isEcho {
                mode = .echo
                machine = WebSocketStateMachine(role: .server, maxMessageSize: options.maxEchoMessageBytes)
                connection.outboundLimit = max(connection.outboundLimit, 2 * options.maxEchoMessageBytes + 4096)
                if let timer = joinTimer { connection.loop.cancel(timer) }
                joinTimer = nil
                phase = .leaving  // never a chat member
            } else {
                mode = .chat
                // The first message is the join: bounded like TCP's, so a connection
                // that has not joined cannot make us hold a 1 MiB message.
                machine = WebSocketStateMachine(
                    role: .server, maxMessageSize: options.maxMessageBytes,
                    maxFirstMessageSize: min(gateway.limits.maxJoinBytes, options.maxMessageBytes))
                gateway.startJoinTimer(self)
            }
            if !leftover.isEmpty { leftover.withUnsafeBytes { process($0) } }
        }
    }

    private func respondAndClose(_ response: [UInt8], reason: String) {
        Log.info("websocket handshake refused", ["conn": conn, "addr": addressText, "reason": reason])
        connection.write(response)
        gateway.retire(self)
        connection.closeAfterFlush(.local(reason))
    }

    /// Runs frames through the protocol machine and acts on what it says.
    private func process(_ bytes: UnsafeRawBufferPointer) {
        guard machine != nil else { return }
        pendingActions.removeAll(keepingCapacity: true)
        // Mutated in place: a local copy would share the half-built message's
        // storage and force a copy of it on every read.
        machine!.receive(bytes) { pendingActions.append($0) }
        for action in pendingActions {
            switch action {
            case .send(let frame):
                connection.write(frame)
            case .message(let kind, let payload):
                handleMessage(kind, payload)
            case .pongReceived:
                break
            case .closeConnection:
                if case .firstMessageTooBig(let limit) = machine?.error {
                    refuseOversizedJoin(limit: limit)
                } else {
                    if let error = machine?.error {
                        Log.info(
                            "websocket protocol error",
                            ["conn": conn, "name": name, "code": error.closeCode, "reason": error.reason])
                    }
                    gateway.retire(self)
                    connection.closeAfterFlush(.local("websocket closed"))
                }
            }
        }
        pendingActions.removeAll(keepingCapacity: true)
    }

    private func handleMessage(_ kind: WebSocketMessageKind, _ payload: [UInt8]) {
        if case .echo = mode {
            guard var machine, machine.canSendData else { return }
            let frame = machine.encodeFrame(opcode: kind == .text ? .text : .binary, payload: payload)
            self.machine = machine
            connection.write(frame)
            return
        }
        guard kind == .text else {
            sendError("binary messages are not supported; send text", close: true, code: WebSocketCloseCode.unsupportedData)
            return
        }
        switch phase {
        case .awaitingJoin:
            switch JoinRequest.parse(payload) {
            case .failure(let error):
                format = payload.withUnsafeBytes { JoinRequest.requestedFormat($0) }
                gateway.refuseJoin(self, error)
            case .success(let request):
                _ = gateway.join(self, request)
            }
        case .joining, .joined:
            relayLines(payload)
        case .leaving:
            break
        }
    }

    /// The first message, the join, passed `limits.maxJoinBytes`: refused with
    /// TCP's words for an oversized join, as a text message and then a close
    /// frame with 1009, the code for a message too big (RFC 6455 §7.4.1). The
    /// machine sent no close frame for it, so these are the last frames.
    private func refuseOversizedJoin(limit: Int) {
        guard var machine else { return }
        let error = JoinError.tooLarge(max: limit)
        gateway.metrics.refused(.invalidJoin)
        Log.info("join refused", ["conn": conn, "addr": addressText, "reason": error.message])
        connection.write(machine.encodeFrame(opcode: .text, payload: errorMessage(error.message)))
        connection.write(
            machine.encodeFrame(
                opcode: .close,
                payload: WebSocketFrame.closePayload(code: WebSocketCloseCode.messageTooBig, reason: error.message)))
        self.machine = machine
        gateway.retire(self)
        connection.closeAfterFlush(.local(error.message))
    }

    /// Each line of the message is one chat line; a final `\n` ends the last
    /// line rather than starting an empty one, and a `\r` before `\n` is dropped.
    private func relayLines(_ payload: [UInt8]) {
        payload.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                if lineEnd - start > gateway.limits.maxLineBytes {
                    sendError(
                        "line longer than \(gateway.limits.maxLineBytes) bytes; connection closed", close: true,
                        code: WebSocketCloseCode.messageTooBig)
                    return
                }
                guard phase == .joining || phase == .joined else { return }
                relay(UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]))
                start = end + 1
            }
        }
    }

    override func sendError(_ message: String, close: Bool, code: UInt16) {
        guard var machine else {
            // Still in the HTTP handshake (e.g. the upgrade never completed).
            if close {
                respondAndClose(
                    HTTPResponse.bytes(status: 408, reason: "Request Timeout", body: "error: \(message)\n"),
                    reason: message)
            }
            return
        }
        if machine.canSendData {
            connection.write(machine.encodeFrame(opcode: .text, payload: errorMessage(message)))
        }
        if close {
            // Close reasons are limited to 123 bytes (RFC 6455 §5.5).
            let reason = String(decoding: Array(message.utf8.prefix(100)), as: UTF8.self)
            connection.write(machine.initiateClose(code: code, reason: UTF8Validator.isValid(Array(reason.utf8)) ? reason : ""))
            self.machine = machine
            gateway.retire(self)
            connection.closeAfterFlush(.local(message))
        } else {
            self.machine = machine
        }
    }

    override func refuseForAddress(_ message: String) {
        guard machine == nil else {
            sendError(message, close: true, code: WebSocketCloseCode.policyViolation)
            return
        }
        // Before the upgrade the refusal is plain HTTP (RFC 6585 §4).
        respondAndClose(
            HTTPResponse.bytes(status: 429, reason: "Too Many Requests", body: "error: \(message)\n"), reason: message)
    }

    override func appendFramed(_ message: UnsafeRawBufferPointer, addNewline: Bool, into buffer: inout [UInt8]) {
        // Server frames are never masked (RFC 6455 §5.1) and these are whole
        // messages, so the frame is the header and the bytes.
        WebSocketFrame.appendHeader(into: &buffer, opcode: .text, length: message.count)
        buffer.append(contentsOf: message)
    }

    override func sendShutdownNotice() {
        guard var machine else {
            gateway.retire(self)
            connection.close(.local("gateway stopping"))
            return
        }
        connection.write(machine.initiateClose(code: WebSocketCloseCode.goingAway, reason: "server restarting"))
        self.machine = machine
        gateway.retire(self)
        connection.closeAfterFlush(.local("gateway stopping"))
    }

    /// One round of dead-peer detection; false if the peer is dead and is being
    /// closed (its session retired at once, the close frame still flushed).
    func pingRound() -> Bool {
        guard var machine, machine.canSendData else { return true }
        if awaitingPong {
            Log.info("websocket peer did not answer a ping; closing", ["conn": conn, "name": name])
            connection.write(machine.initiateClose(code: WebSocketCloseCode.goingAway, reason: "ping timeout"))
            self.machine = machine
            gateway.retire(self)
            // After a flush, so the close frame reaches the peer if it is still
            // there; a dead peer's full window is not waited on for long.
            connection.closeAfterFlush(.local("ping timeout"), timeoutMilliseconds: 1000)
            return false
        }
        if !sawInput {
            awaitingPong = true
            connection.write(machine.encodeFrame(opcode: .ping, payload: [UInt8]()))
            self.machine = machine
        }
        sawInput = false
        return true
    }
}
