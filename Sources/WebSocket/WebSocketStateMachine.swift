/// The protocol side of one WebSocket connection after the handshake (RFC 6455 §5–§7),
/// with no I/O: feed it the bytes read from the peer and perform the actions it returns.
///
/// It parses frames incrementally (reads may split anything anywhere), unmasks,
/// reassembles fragmented messages, validates text as UTF-8 as it arrives, answers pings
/// and runs the closing handshake. Every protocol violation is answered with a close
/// frame carrying the RFC 6455 §7.4.1 code (1002, 1007 or 1009) and then
/// `.closeConnection` (a first message over `maxFirstMessageSize` gets no close frame from
/// the machine: the caller sends its own); after that all input is ignored (`error` says
/// what went wrong).
///
/// Memory: payload bytes are copied once, from the read buffer into the message being
/// assembled, and unmasked there. A message may be at most `maxMessageSize` bytes in
/// total (the first one `maxFirstMessageSize`), rejected with 1009 as soon as a frame
/// header announces more; besides that the machine holds at most one 14-byte partial
/// header and one 125-byte control payload.
public struct WebSocketStateMachine: Sendable {
    /// Where the connection is in its lifetime (RFC 6455 §7).
    public enum State: Sendable, Hashable {
        /// Messages flow both ways.
        case open
        /// We sent a close frame and wait for the peer's; its data is ignored.
        case closing
        /// The closing handshake finished or the connection failed; input is ignored.
        case closed
    }

    /// Which end of the connection this machine plays.
    public let role: WebSocketRole
    /// The largest message accepted, summed over its fragments.
    public let maxMessageSize: Int
    /// The largest first data message, if it has a limit of its own: a protocol that
    /// opens with a small message (a chat join) so bounds what a peer that has not yet
    /// said who it is can make us hold. Nil when the first message is like any other.
    public let maxFirstMessageSize: Int?
    /// The current state.
    public internal(set) var state: State = .open
    /// The protocol violation that failed the connection, if any (for logs).
    public internal(set) var error: WebSocketProtocolError?
    /// The status code of the peer's close frame, if it sent one with a code.
    public internal(set) var peerCloseCode: UInt16?

    var maskingKeys: MaskingKeySource

    // The limit the next data frame header is checked against: `maxFirstMessageSize`
    // until the first message is delivered, then `maxMessageSize`. Switching when the
    // message completes (not when the caller has handled it) keeps the limit right for
    // frames that arrive in the same read as the first message.
    var messageLimit: Int
    var firstMessageLimited: Bool

    // The frame being read (RFC 6455 §5.2).
    var headerBuffer: [UInt8] = []
    var readingPayload = false
    var frameOpcode: WebSocketOpcode = .continuation
    var frameFin = true
    var frameMaskingKey: UInt32?
    var frameLength = 0
    var frameReceived = 0
    var frameTarget: PayloadTarget = .discard

    // The message being assembled (RFC 6455 §5.4).
    var messageKind: WebSocketMessageKind?
    var messageBytes: [UInt8] = []
    var textValidator = UTF8Validator()
    var controlPayload: [UInt8] = []

    /// Where the payload of the current frame goes.
    enum PayloadTarget {
        case message
        case control
        case discard
    }

    /// Creates a machine for a freshly upgraded connection.
    ///
    /// - Parameters:
    ///   - role: `.server` requires masked frames and sends unmasked ones; `.client` the reverse.
    ///   - maxMessageSize: the largest message accepted; bigger ones fail the connection with 1009.
    ///   - maxFirstMessageSize: a smaller limit for the first data message, at most
    ///     `maxMessageSize`. A first message over it fails the connection with
    ///     `.firstMessageTooBig` (1009) but the machine sends no close frame: the caller
    ///     knows what the first message is for and sends its own refusal and close.
    ///   - maskingSeed: for `.client` only: nil (the default) draws each masking key from the
    ///     system's secure random generator, as RFC 6455 §5.3 requires; a seed gives a
    ///     reproducible key sequence for tests.
    public init(
        role: WebSocketRole, maxMessageSize: Int = 1 << 20, maxFirstMessageSize: Int? = nil, maskingSeed: UInt64? = nil
    ) {
        precondition(maxMessageSize >= 0, "maxMessageSize is never negative")
        precondition(
            (0...maxMessageSize).contains(maxFirstMessageSize ?? 0), "maxFirstMessageSize is from 0 to maxMessageSize")
        self.role = role
        self.maxMessageSize = maxMessageSize
        self.maxFirstMessageSize = maxFirstMessageSize
        self.messageLimit = maxFirstMessageSize ?? maxMessageSize
        self.firstMessageLimited = maxFirstMessageSize != nil
        self.maskingKeys = MaskingKeySource(seed: maskingSeed)
    }

    /// Whether data frames may still be sent: false once a close frame was sent or received.
    public var canSendData: Bool { state == .open }

    /// Processes bytes read from the peer and returns the resulting actions, in order.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> [WebSocketAction] {
        var actions: [WebSocketAction] = []
        receive(bytes) { actions.append($0) }
        return actions
    }

    /// Processes bytes read from the peer, calling `handle` for each action in order,
    /// without allocating an array of actions.
    ///
    /// `handle` runs while the machine is being mutated: it must not touch this machine
    /// (queue the bytes to send and act on them after `receive` returns).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, _ handle: (WebSocketAction) -> Void) {
        var index = 0
        while index < bytes.count, state != .closed {
            if readingPayload {
                index = consumePayload(bytes, from: index, handle)
            } else {
                index = consumeHeader(bytes, from: index, handle)
            }
        }
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2), for example with 1001 when the
    /// server shuts down, and returns the close frame to send; returns no bytes if a close
    /// was already sent or received. Data arriving afterwards is ignored, and the peer's
    /// close yields `.closeConnection` without a second close frame.
    public mutating func initiateClose(code: UInt16, reason: String = "") -> [UInt8] {
        guard state == .open else { return [] }
        state = .closing
        // RFC 6455 §5.5.1: after sending a close we only wait for the peer's; a message
        // still being assembled will never be delivered.
        messageKind = nil
        messageBytes = []
        textValidator.reset()
        if readingPayload, frameTarget == .message {
            frameTarget = .discard
        }
        return encodeFrame(opcode: .close, payload: WebSocketFrame.closePayload(code: code, reason: reason))
    }

    /// Encodes one frame, masked with a fresh key when the role is `.client`. The caller
    /// keeps the message rules: data only while `canSendData`, control payloads ≤ 125 bytes.
    public mutating func encodeFrame(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true
    )
        -> [UInt8]
    {
        let key: UInt32? = role == .client ? maskingKeys.next() : nil
        return WebSocketFrame.encode(opcode: opcode, payload: payload, fin: fin, maskingKey: key)
    }

    /// Encodes a single-frame text message.
    public mutating func encodeText(_ text: String) -> [UInt8] {
        encodeFrame(opcode: .text, payload: text.utf8)
    }

    /// Encodes a single-frame text message from bytes the caller knows to be UTF-8.
    public mutating func encodeText(_ payload: some Collection<UInt8>) -> [UInt8] {
        encodeFrame(opcode: .text, payload: payload)
    }

    /// Encodes a single-frame binary message.
    public mutating func encodeBinary(_ payload: some Collection<UInt8>) -> [UInt8] {
        encodeFrame(opcode: .binary, payload: payload)
    }

    /// Encodes a ping, whose payload the peer echoes in its pong (RFC 6455 §5.5.2).
    public mutating func encodePing(_ payload: [UInt8] = []) -> [UInt8] {
        precondition(payload.count <= 125, "control frame payloads are at most 125 bytes")
        return encodeFrame(opcode: .ping, payload: payload)
    }

    /// Encodes an unsolicited pong, a one-way heartbeat (RFC 6455 §5.5.3).
    public mutating func encodePong(_ payload: [UInt8] = []) -> [UInt8] {
        precondition(payload.count <= 125, "control frame payloads are at most 125 bytes")
        return encodeFrame(opcode: .pong, payload: payload)
    }

    /// Fails the connection (RFC 6455 §7.1.7): a close frame with the error's code if we
    /// have not sent one yet (none for `.firstMessageTooBig`: the caller sends its
    /// own), then `.closeConnection`.
    mutating func fail(_ error: WebSocketProtocolError, _ handle: (WebSocketAction) -> Void) {
        self.error = error
        let wasOpen = state == .open
        state = .closed
        readingPayload = false
        messageKind = nil
        messageBytes = []
        controlPayload = []
        headerBuffer = []
        var callerCloses = false
        if case .firstMessageTooBig = error { callerCloses = true }
        if wasOpen && !callerCloses {
            handle(
                .send(
                    encodeFrame(opcode: .close, payload: WebSocketFrame.closePayload(code: error.closeCode, reason: ""))
                ))
        }
        handle(.closeConnection)
    }

    /// Handles a complete close frame from the peer (RFC 6455 §5.5.1, §7.4).
    mutating func receiveClose(_ handle: (WebSocketAction) -> Void) {
        guard state == .open else {
            // We started the handshake; this is the answer, and the transport may close.
            if controlPayload.count >= 2 {
                peerCloseCode = UInt16(controlPayload[0]) << 8 | UInt16(controlPayload[1])
            }
            state = .closed
            handle(.closeConnection)
            return
        }
        let reply: [UInt8]
        switch controlPayload.count {
        case 0:
            // No status code: answer with an empty close too.
            reply = []
        case 1:
            fail(.truncatedCloseCode, handle)
            return
        default:
            let code = UInt16(controlPayload[0]) << 8 | UInt16(controlPayload[1])
            guard WebSocketCloseCode.isValidOnWire(code) else {
                fail(.invalidCloseCode(code), handle)
                return
            }
            let reasonIsValid = controlPayload.withUnsafeBytes {
                UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: $0[2...]))
            }
            guard reasonIsValid else {
                fail(.invalidUTF8InCloseReason, handle)
                return
            }
            peerCloseCode = code
            // RFC 6455 §5.5.1: "typically echoes the status code it received".
            reply = Array(controlPayload[0..<2])
        }
        state = .closed
        messageKind = nil
        messageBytes = []
        handle(.send(encodeFrame(opcode: .close, payload: reply)))
        handle(.closeConnection)
    }
}
