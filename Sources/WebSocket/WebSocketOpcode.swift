/// A frame opcode (RFC 6455 §5.2, §11.8). Values 3–7 and 11–15 are reserved and have
/// no case: a frame carrying one is a protocol error.
public enum WebSocketOpcode: UInt8, Sendable, Hashable {
    /// A further fragment of the message in progress.
    case continuation = 0x0
    /// The first (or only) frame of a UTF-8 text message.
    case text = 0x1
    /// The first (or only) frame of a binary message.
    case binary = 0x2
    /// Starts or answers the closing handshake (RFC 6455 §5.5.1).
    case close = 0x8
    /// Asks the peer for a pong (RFC 6455 §5.5.2).
    case ping = 0x9
    /// Answers a ping, or acts as an unsolicited heartbeat (RFC 6455 §5.5.3).
    case pong = 0xA

    /// Whether this is a control frame: close, ping or pong (RFC 6455 §5.5).
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
