/// How the peer broke RFC 6455; `closeCode` is the code the machine sent in its close frame.
public enum WebSocketProtocolError: Error, Sendable, Hashable {
    /// A client frame was not masked (RFC 6455 §5.1).
    case unmaskedClientFrame
    /// A server frame was masked (RFC 6455 §5.1).
    case maskedServerFrame
    /// RSV1–3 were set without a negotiated extension (RFC 6455 §5.2).
    case reservedBitsSet
    /// The opcode is one of the reserved values 3–7 or 11–15 (RFC 6455 §5.2).
    case reservedOpcode(UInt8)
    /// A control frame had FIN clear (RFC 6455 §5.5).
    case fragmentedControlFrame
    /// A control frame's payload was longer than 125 bytes (RFC 6455 §5.5).
    case controlFrameTooLong
    /// A 64-bit payload length had its most significant bit set (RFC 6455 §5.2).
    case invalidPayloadLength
    /// A continuation frame arrived with no fragmented message in progress (RFC 6455 §5.4).
    case unexpectedContinuation
    /// A text or binary frame arrived while a fragmented message was in progress (RFC 6455 §5.4).
    case expectedContinuation
    /// A message (the sum of its fragments) exceeded the configured maximum.
    case messageTooBig
    /// The first message exceeded its own, smaller maximum
    /// (`WebSocketStateMachine.maxFirstMessageSize`, here `limit`).
    case firstMessageTooBig(limit: Int)
    /// A text message was not valid UTF-8 (RFC 6455 §8.1).
    case invalidUTF8InText
    /// A close frame had a one-byte payload (RFC 6455 §5.5.1).
    case truncatedCloseCode
    /// A close frame carried a code that may not be sent on the wire (RFC 6455 §7.4).
    case invalidCloseCode(UInt16)
    /// A close frame's reason was not valid UTF-8 (RFC 6455 §5.5.1).
    case invalidUTF8InCloseReason

    /// The close code to report this error with (RFC 6455 §7.4.1).
    public var closeCode: UInt16 {
        switch self {
        case .messageTooBig, .firstMessageTooBig: return WebSocketCloseCode.messageTooBig
        case .invalidUTF8InText, .invalidUTF8InCloseReason: return WebSocketCloseCode.invalidPayload
        default: return WebSocketCloseCode.protocolError
        }
    }

    /// A short lowercase explanation for logs.
    public var reason: String {
        switch self {
        case .unmaskedClientFrame: return "client frame not masked"
        case .maskedServerFrame: return "server frame masked"
        case .reservedBitsSet: return "reserved bits set"
        case .reservedOpcode(let opcode): return "reserved opcode \(opcode)"
        case .fragmentedControlFrame: return "fragmented control frame"
        case .controlFrameTooLong: return "control frame payload over 125 bytes"
        case .invalidPayloadLength: return "payload length has the top bit set"
        case .unexpectedContinuation: return "continuation without a message in progress"
        case .expectedContinuation: return "new message while a fragmented one is in progress"
        case .messageTooBig: return "message too big"
        case .firstMessageTooBig(let limit): return "first message larger than \(limit) bytes"
        case .invalidUTF8InText: return "text message is not valid utf-8"
        case .truncatedCloseCode: return "close payload of one byte"
        case .invalidCloseCode(let code): return "invalid close code \(code)"
        case .invalidUTF8InCloseReason: return "close reason is not valid utf-8"
        }
    }
}
