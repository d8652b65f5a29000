/// Constants of the gateway ⇄ router link protocol: length-prefixed binary frames
/// (`u32 length | u8 type | body`, big-endian) over a stream socket.
public enum RouterProtocol {
    /// Protocol version carried by HELLO and WELCOME; the codec does not check it.
    public static let version: UInt16 = 2
    /// Largest accepted value of the length prefix, i.e. bytes of type + body.
    public static let maxFrameSize = 1 << 20
    /// Largest UTF-8 byte count of a `str` field (its prefix is a `u16`).
    public static let maxStringLength = Int(UInt16.max)
    /// Bytes of the length prefix that precedes every frame.
    static let lengthPrefixSize = 4
}

/// A client connection, chosen by a gateway and unique within that gateway.
public typealias ConnectionID = UInt32

/// A room, chosen by the router.
public typealias RoomID = UInt32
