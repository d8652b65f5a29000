/// Why bytes from a trusted proxy are not a valid PROXY protocol header
/// (haproxy's proxy-protocol.txt). The connection is logged and closed: a
/// receiver "must not try to guess" (§5).
public enum ProxyHeaderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first bytes are neither `PROXY ` nor the v2 signature.
    case notAProxyHeader
    /// v1: no CRLF within the 107 bytes the longest line needs (§2.1).
    case lineTooLong
    /// v1: a CR not followed by LF, or an LF without CR (§2.1).
    case badLineEnding
    /// v1: the protocol is not `TCP4`, `TCP6` or `UNKNOWN`.
    case unknownProtocol
    /// v1: not exactly `PROXY <proto> <src> <dst> <sport> <dport>`, single spaces.
    case malformedLine
    /// v1: an address not in the canonical form of its family.
    case invalidAddress
    /// v1: a port outside 0-65535 or with a leading zero.
    case invalidPort
    /// v2: the version nibble is not 2.
    case unsupportedVersion(UInt8)
    /// v2: the command nibble is neither LOCAL (0) nor PROXY (1).
    case unsupportedCommand(UInt8)
    /// v2: an address family above 3 or a transport above 2.
    case invalidFamily(UInt8)
    /// v2: 16 + length exceeds the bound (536 bytes: the fixed part, the
    /// largest address block and room for TLVs).
    case headerTooLong(Int)
    /// v2: the length is too short for the family's addresses.
    case addressBlockTooShort(family: UInt8, length: Int)

    public var description: String {
        switch self {
        case .notAProxyHeader: return "does not start with a PROXY protocol header (v1 \"PROXY \" or the v2 signature)"
        case .lineTooLong: return "v1 header has no CRLF within 107 bytes"
        case .badLineEnding: return "v1 header line does not end in CRLF"
        case .unknownProtocol: return "v1 header protocol is not TCP4, TCP6 or UNKNOWN"
        case .malformedLine: return "v1 header is not \"PROXY <proto> <src> <dst> <sport> <dport>\""
        case .invalidAddress: return "v1 header has an address not in its family's canonical form"
        case .invalidPort: return "v1 header has a port that is not 0-65535 without leading zeros"
        case .unsupportedVersion(let version): return "v2 header version is \(version), not 2"
        case .unsupportedCommand(let command): return "v2 header command is \(command), neither LOCAL (0) nor PROXY (1)"
        case .invalidFamily(let byte): return "v2 header family/transport byte 0x\(String(byte, radix: 16)) is invalid"
        case .headerTooLong(let total): return "v2 header of \(total) bytes is over the 536-byte bound"
        case .addressBlockTooShort(let family, let length):
            return "v2 header address block of \(length) bytes is too short for family 0x\(String(family, radix: 16))"
        }
    }
}
