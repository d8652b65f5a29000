/// Why bytes from a Redis server could not be decoded. Every case is fatal for
/// the connection: the stream can no longer be framed, so the client logs the
/// description and reconnects. The decoder stays failed after one.
public enum RESPProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first byte of a value is no RESP2 or RESP3 type marker.
    case unknownType(UInt8)
    /// A header or simple line (`+`, `-`, `:`, `,`, …) runs past `max` bytes
    /// without its CRLF.
    case lineTooLong(max: Int)
    /// A bulk string, bulk error or verbatim string announces `length` bytes,
    /// more than `max`.
    case bulkTooLong(length: Int, max: Int)
    /// An aggregate announces `count` elements (pairs for maps and
    /// attributes), more than `max`.
    case aggregateTooLarge(count: Int, max: Int)
    /// Aggregates are nested more than `max` levels deep.
    case nestingTooDeep(max: Int)
    /// The reply being decoded needs more than `max` bytes of input.
    case bufferedBytesExceeded(max: Int)
    /// The length of a `type` value is not `-1` or a decimal count, or is
    /// `-1` where that type has no null form.
    case invalidLength(type: UInt8)
    /// The two bytes after a bulk payload are not CRLF.
    case missingCRLF(type: UInt8)
    /// A `:` line is not a signed 64-bit decimal integer.
    case invalidInteger
    /// A `,` line is not a RESP3 double.
    case invalidDouble
    /// A `#` line is not `t` or `f`.
    case invalidBoolean
    /// A `(` line is not an optionally signed run of decimal digits.
    case invalidBigNumber
    /// A `_` line is not empty.
    case invalidNull
    /// A verbatim string does not start with a three-byte format and `:`.
    case invalidVerbatimFormat
    /// A simple string or simple error contains a bare CR or LF.
    case invalidSimpleLine(type: UInt8)

    public var description: String {
        switch self {
        case .unknownType(let byte): return "unknown RESP type byte \(Self.show(byte))"
        case .lineTooLong(let max): return "RESP line longer than \(max) bytes"
        case .bulkTooLong(let length, let max): return "RESP bulk of \(length) bytes exceeds the maximum of \(max)"
        case .aggregateTooLarge(let count, let max): return "RESP aggregate of \(count) elements exceeds the maximum of \(max)"
        case .nestingTooDeep(let max): return "RESP aggregates nested deeper than \(max) levels"
        case .bufferedBytesExceeded(let max): return "RESP reply larger than the maximum of \(max) buffered bytes"
        case .invalidLength(let type): return "invalid length for RESP type \(Self.show(type))"
        case .missingCRLF(let type): return "RESP type \(Self.show(type)) payload not followed by CRLF"
        case .invalidInteger: return "invalid RESP integer"
        case .invalidDouble: return "invalid RESP3 double"
        case .invalidBoolean: return "invalid RESP3 boolean (expected t or f)"
        case .invalidBigNumber: return "invalid RESP3 big number"
        case .invalidNull: return "invalid RESP3 null (expected an empty line)"
        case .invalidVerbatimFormat: return "invalid RESP3 verbatim string (expected a 3-byte format and ':')"
        case .invalidSimpleLine(let type): return "RESP type \(Self.show(type)) line contains a bare CR or LF"
        }
    }

    /// `'+'` for a printable type byte, `0x00` otherwise.
    private static func show(_ byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16)
        return "0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
