@testable import WebSocket

/// The harness of both WebSocket targets: bytes from the peer go into a
/// `WebSocketStateMachine` of one role (the input is what a client sends a
/// server, or a server a client).
///
/// Checks on every input, with the default message limit (1 MiB) and a tiny
/// one (0–63 bytes, chosen by the input), and, when the input's hash says so,
/// with `initiateClose` called at an offset it also chooses:
/// - the actions, the final state, the error and the peer's close code are the
///   same whole, byte by byte and in the other splits;
/// - text messages are valid UTF-8 by the standard library's own check, no
///   message exceeds the limit, and nothing follows `.closeConnection`, which
///   comes exactly when the machine is closed;
/// - every frame the machine sends (pongs, close frames, the close of
///   `initiateClose`) is a valid frame for a machine of the other role;
/// - every message, encoded again by the other side, decodes to itself;
/// - `UTF8Validator` agrees with `String(validating:)` on the input, whole
///   and fed in pieces.
enum WebSocketFuzzer {
    struct Outcome: Equatable {
        var actions: [WebSocketAction] = []
        var state: WebSocketStateMachine.State = .open
        var error: WebSocketProtocolError?
        var peerCloseCode: UInt16?
        var closeFrame: [UInt8] = []
    }

    static func run(_ bytes: [UInt8], role: WebSocketRole) {
        let seed = FuzzSplits.seed(bytes)
        let closeAt = seed & 1 == 1 ? Int((seed >> 8) % UInt64(bytes.count + 1)) : nil
        let tiny = Int(bytes.first ?? 0) % 64
        for maxMessageSize in [1 << 20, tiny] {
            let whole = receive(bytes, pattern: [], role: role, maxMessageSize: maxMessageSize, closeAt: closeAt)
            for pattern in FuzzSplits.patterns(for: bytes) {
                let split = receive(bytes, pattern: pattern, role: role, maxMessageSize: maxMessageSize, closeAt: closeAt)
                invariant(split == whole, "the \(role) machine depends on the split \(pattern): \(split) vs \(whole)")
            }
            check(whole, role: role, maxMessageSize: maxMessageSize, seed: seed)
        }
        checkValidator(bytes)
    }

    /// Feeds `bytes` in pieces; at `closeAt` (split there in every pattern) the
    /// machine starts the closing handshake itself.
    static func receive(
        _ bytes: [UInt8], pattern: [Int], role: WebSocketRole, maxMessageSize: Int, closeAt: Int?
    ) -> Outcome {
        var machine = WebSocketStateMachine(role: role, maxMessageSize: maxMessageSize, maskingSeed: 42)
        var outcome = Outcome()
        let cut = closeAt ?? bytes.count
        for (part, isFirst) in [(Array(bytes[..<cut]), true), (Array(bytes[cut...]), false)] {
            FuzzSplits.forEachChunk(of: part, pattern: pattern) { chunk in
                machine.receive(chunk) { outcome.actions.append($0) }
                return true
            }
            if isFirst, closeAt != nil {
                outcome.closeFrame = machine.initiateClose(code: WebSocketCloseCode.goingAway, reason: "fuzz")
            }
        }
        outcome.state = machine.state
        outcome.error = machine.error
        outcome.peerCloseCode = machine.peerCloseCode
        return outcome
    }

    static func check(_ outcome: Outcome, role: WebSocketRole, maxMessageSize: Int, seed: UInt64) {
        let peer: WebSocketRole = role == .server ? .client : .server
        for (index, action) in outcome.actions.enumerated() {
            switch action {
            case .message(let kind, let payload):
                invariant(
                    payload.count <= maxMessageSize, "a message of \(payload.count) bytes passed the limit of \(maxMessageSize)")
                if kind == .text {
                    invariant(String(validating: payload, as: UTF8.self) != nil, "a text message is not valid UTF-8: \(payload)")
                }
                checkMessageRoundTrip(kind, payload, role: role, peer: peer, seed: seed)
            case .send(let frame):
                checkPeerAccepts(frame, peer: peer)
            case .closeConnection:
                invariant(index == outcome.actions.count - 1, "actions follow .closeConnection: \(outcome.actions)")
            case .pongReceived:
                break
            }
        }
        let closes = outcome.actions.last == .closeConnection
        invariant(closes == (outcome.state == .closed), "state \(outcome.state) after actions \(outcome.actions)")
        if let error = outcome.error {
            invariant(outcome.state == .closed, "failed with \(error) but \(outcome.state)")
            _ = error.reason
        }
        if !outcome.closeFrame.isEmpty { checkPeerAccepts(outcome.closeFrame, peer: peer) }
    }

    /// A frame we send must be one the other role's machine takes without a protocol error.
    static func checkPeerAccepts(_ frame: [UInt8], peer: WebSocketRole) {
        var machine = WebSocketStateMachine(role: peer, maskingSeed: 7)
        let actions = frame.withUnsafeBytes { machine.receive($0) }
        invariant(
            machine.error == nil, "the \(peer) refuses our frame \(frame): \(String(describing: machine.error)), \(actions)")
        invariant(!actions.isEmpty, "the \(peer) took our frame \(frame) as nothing")
    }

    /// The peer encodes the message as one frame (masked when the peer is a client), or
    /// fragmented when the seed says so; this role decodes exactly that message.
    static func checkMessageRoundTrip(
        _ kind: WebSocketMessageKind, _ payload: [UInt8], role: WebSocketRole, peer: WebSocketRole, seed: UInt64
    ) {
        var sender = WebSocketStateMachine(role: peer, maskingSeed: seed)
        let opcode: WebSocketOpcode = kind == .text ? .text : .binary
        var frames: [UInt8] = []
        let half = payload.count / 2
        if seed & 2 == 2, half > 0 {
            frames += sender.encodeFrame(opcode: opcode, payload: payload[..<half], fin: false)
            frames += sender.encodeFrame(opcode: .continuation, payload: payload[half...], fin: true)
        } else {
            frames += sender.encodeFrame(opcode: opcode, payload: payload)
        }
        var receiver = WebSocketStateMachine(role: role, maxMessageSize: max(payload.count, 1))
        let actions = frames.withUnsafeBytes { receiver.receive($0) }
        invariant(actions == [.message(kind, payload)], "a \(kind) message re-encoded by the \(peer) decodes as \(actions)")
    }

    static func checkValidator(_ bytes: [UInt8]) {
        let expected = String(validating: bytes, as: UTF8.self) != nil
        invariant(UTF8Validator.isValid(bytes) == expected, "UTF8Validator says \(!expected) for \(bytes)")
        for pattern in FuzzSplits.patterns(for: bytes) {
            var validator = UTF8Validator()
            var ok = true
            FuzzSplits.forEachChunk(of: bytes, pattern: pattern) { chunk in
                ok = validator.consume(chunk)
                return ok
            }
            invariant((ok && validator.isAtCharacterBoundary) == expected, "UTF8Validator fed in \(pattern) says \(!expected)")
            invariant(ok != validator.hasFailed, "consume and hasFailed disagree")
        }
    }
}
