/// A SAY or DELIVER frame as `RouterFrameDecoder.next(borrowing:)` hands it
/// out: the bulk bytes stay in the decoder's buffer and are valid only during
/// the handler.
public enum RouterFrameView {
    case say(conn: ConnectionID, text: UnsafeRawBufferPointer)
    case deliver(room: RoomID, payload: UnsafeRawBufferPointer)
}

/// What one `RouterFrameDecoder.next(borrowing:)` step produced.
public enum RouterDecodeStep {
    /// No complete frame yet.
    case needMore
    /// A SAY or DELIVER frame went to the handler.
    case borrowed
    /// Any other frame, decoded.
    case frame(RouterFrame)
}
