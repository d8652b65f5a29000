/// What the transport must do after `WebSocketStateMachine.receive`, in order.
public enum WebSocketAction: Sendable, Hashable {
    /// A complete, reassembled message; text has been validated as UTF-8.
    case message(WebSocketMessageKind, [UInt8])
    /// Bytes to write to the peer (a pong, or a close frame).
    case send([UInt8])
    /// A pong arrived: the peer is alive (useful for dead-peer detection).
    case pongReceived
    /// Close the transport once the bytes already queued (including any `.send` just
    /// before) have been written; nothing more will be read or sent on this connection.
    case closeConnection
}

/// The kind of a complete data message.
public enum WebSocketMessageKind: Sendable, Hashable {
    /// UTF-8 text, already validated.
    case text
    /// Arbitrary bytes.
    case binary
}
