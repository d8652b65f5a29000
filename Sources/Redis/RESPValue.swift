/// One value of the Redis serialization protocol: every RESP2 type and every
/// RESP3 type (https://github.com/redis/redis-specifications, "RESP3").
///
/// Payloads are raw bytes: Redis strings are binary-safe, and nothing here
/// assumes UTF-8. The RESP2 nulls (`$-1`, `*-1`) and the RESP3 null (`_`) are
/// distinct cases so that encoding a decoded value gives back the same bytes.
public indirect enum RESPValue: Sendable {
    /// `+OK\r\n`: a short status line without CR or LF.
    case simpleString([UInt8])
    /// `-ERR message\r\n`: an error reply (its first word is the error code).
    case error([UInt8])
    /// `:42\r\n`: a signed 64-bit integer.
    case integer(Int64)
    /// `$5\r\nhello\r\n`: a binary-safe string.
    case bulkString([UInt8])
    /// `$-1\r\n`: the RESP2 null bulk string (a missing key in RESP2).
    case nullBulkString
    /// `*2\r\n…`: an ordered list of values.
    case array([RESPValue])
    /// `*-1\r\n`: the RESP2 null array (a timed-out blocking pop in RESP2).
    case nullArray
    /// `_\r\n`: the RESP3 null.
    case null
    /// `#t\r\n` or `#f\r\n` (RESP3).
    case boolean(Bool)
    /// `,3.14\r\n`, `,inf\r\n`, `,-inf\r\n`, `,nan\r\n` (RESP3).
    case double(Double)
    /// `(3492890328409238509324850943850943825024385\r\n` (RESP3): the digits,
    /// with an optional sign, exactly as sent.
    case bigNumber([UInt8])
    /// `!21\r\nSYNTAX invalid syntax\r\n` (RESP3): a binary-safe error.
    case bulkError([UInt8])
    /// `=15\r\ntxt:Some string\r\n` (RESP3): text with a three-byte format
    /// (`txt`, `mkd`); `text` excludes the format and its colon.
    case verbatimString(format: [UInt8], text: [UInt8])
    /// `%2\r\n…` (RESP3): key/value pairs in the order sent.
    case map([RESPPair])
    /// `~3\r\n…` (RESP3): unordered distinct values, in the order sent.
    case set([RESPValue])
    /// `|1\r\n…` (RESP3): out-of-band attributes attached to the value that
    /// follows them (only when the decoder attaches attributes).
    case attributed(attributes: [RESPPair], value: RESPValue)
    /// `>3\r\n…` (RESP3): an out-of-band push such as a pub/sub message.
    case push([RESPValue])
}

/// One key/value entry of a RESP3 map or attribute.
public struct RESPPair: Equatable, Sendable {
    public var key: RESPValue
    public var value: RESPValue

    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}

extension RESPValue {
    /// The bytes of a simple string, bulk string or verbatim string; nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .simpleString(let bytes), .bulkString(let bytes): return bytes
        case .verbatimString(_, let text): return text
        default: return nil
        }
    }

    /// The value of an integer reply; nil otherwise.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The elements of an array, set or push; nil otherwise.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let elements), .set(let elements), .push(let elements): return elements
        default: return nil
        }
    }

    /// True for every null: RESP2 null bulk string and null array, RESP3 null.
    public var isNull: Bool {
        switch self {
        case .nullBulkString, .nullArray, .null: return true
        default: return false
        }
    }

    /// The message of an error reply (simple or bulk); nil for other values.
    public var errorMessage: [UInt8]? {
        switch self {
        case .error(let message), .bulkError(let message): return message
        default: return nil
        }
    }
}

extension RESPValue: Equatable {
    /// Structural equality, except that two NaN doubles are equal: a decoded
    /// `,nan\r\n` must equal itself for round-trip checks.
    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let a), .simpleString(let b)): return a == b
        case (.error(let a), .error(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.bulkString(let a), .bulkString(let b)): return a == b
        case (.nullBulkString, .nullBulkString): return true
        case (.array(let a), .array(let b)): return a == b
        case (.nullArray, .nullArray): return true
        case (.null, .null): return true
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.bigNumber(let a), .bigNumber(let b)): return a == b
        case (.bulkError(let a), .bulkError(let b)): return a == b
        case (.verbatimString(let f1, let t1), .verbatimString(let f2, let t2)): return f1 == f2 && t1 == t2
        case (.map(let a), .map(let b)): return a == b
        case (.set(let a), .set(let b)): return a == b
        case (.attributed(let a1, let v1), .attributed(let a2, let v2)): return a1 == a2 && v1 == v2
        case (.push(let a), .push(let b)): return a == b
        default: return false
        }
    }
}
