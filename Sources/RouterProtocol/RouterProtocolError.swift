/// Why bytes from the link could not be decoded. Every case is fatal for the
/// link: the caller logs the description and closes it.
public enum RouterProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The length prefix announces more than `max` bytes of type + body.
    case frameTooLarge(length: Int, max: Int)
    /// The type byte names no known frame.
    case unknownType(UInt8)
    /// The body does not match the layout of its type (`type` is 0 when the
    /// frame has no type byte at all).
    case malformed(type: UInt8, reason: String)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let max):
            "frame of \(length) bytes exceeds the maximum of \(max)"
        case .unknownType(let type):
            "unknown frame type \(type)"
        case .malformed(let type, let reason):
            "malformed frame of type \(type): \(reason)"
        }
    }
}
