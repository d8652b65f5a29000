/// Constants of the router ⇄ store link: length-prefixed binary frames
/// (`u32 length | u8 type | body`, big-endian, the length counting type and
/// body) over a Unix-domain stream socket. Strings are `u16 length | UTF-8`.
public enum StoreProtocol {
    /// Carried by HELLO and WELCOME; a store and a router of different
    /// versions close the link with a logged reason.
    public static let version: UInt16 = 1
    /// Largest accepted length prefix (type byte and body); a larger frame is
    /// a protocol error. Senders keep APPEND batches and LINES pages well
    /// below it (a line is at most 64 KiB of text).
    public static let maxFrameSize = 1 << 20
    /// Largest byte count of a `str` field (its prefix is a `u16`).
    public static let maxStringLength = Int(UInt16.max)
    /// Bytes of the length prefix before every frame.
    public static let lengthPrefixSize = 4
    /// Bytes of one line's fixed part in LINES and APPEND:
    /// `u64 offset, u64 time, u16 nameLength, u32 textLength`.
    public static let lineHeaderSize = 22
    /// Most room definitions one APPEND can hold (indexes are `u16`).
    public static let maxRoomsPerBatch = Int(UInt16.max)
}
