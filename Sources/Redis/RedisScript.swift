import WebSocket

/// A Lua script run with EVALSHA. Its name is the lowercase hex SHA-1 of its
/// source, computed here, exactly as Redis computes it for `SCRIPT LOAD`
/// (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/),
/// so calls can be encoded at once; the connection still checks that
/// `SCRIPT LOAD` answers with the same name.
public struct RedisScript: Hashable, Sendable, CustomStringConvertible {
    /// The Lua source, sent by `SCRIPT LOAD`.
    public let source: [UInt8]
    /// The 40 ASCII hex digits EVALSHA names the script by.
    public let sha1: [UInt8]

    public init(source: [UInt8]) {
        self.source = source
        let digits = Array("0123456789abcdef".utf8)
        self.sha1 = SHA1.hash(source).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
    }

    public init(source: String) {
        self.init(source: Array(source.utf8))
    }

    /// The SHA-1 as a String, for logs.
    public var sha1Hex: String { String(decoding: sha1, as: UTF8.self) }

    public var description: String { "script \(sha1Hex)" }

    // The name stands for the source: equal names mean equal scripts.
    public static func == (lhs: RedisScript, rhs: RedisScript) -> Bool { lhs.sha1 == rhs.sha1 }

    public func hash(into hasher: inout Hasher) { hasher.combine(sha1) }
}
