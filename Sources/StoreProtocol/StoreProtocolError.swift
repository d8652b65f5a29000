/// Why bytes from the link could not be decoded. Every case is fatal for the
/// link: the receiver logs the description and closes it.
public enum StoreProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The length prefix announces more than `max` bytes of type and body.
    case frameTooLarge(length: Int, max: Int)
    /// The type byte names no frame of this version.
    case unknownType(UInt8)
    /// The body does not match its type's layout (`type` 0: no type byte at all).
    case malformed(type: UInt8, reason: String)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let max): "store frame of \(length) bytes exceeds the maximum of \(max)"
        case .unknownType(let type): "unknown store frame type \(type)"
        case .malformed(let type, let reason): "malformed store frame of type \(type): \(reason)"
        }
    }
}
