/// Bounds on the history an engine keeps (`-history-size`, `-history-ttl`,
/// `-history-memory`), with the defaults documented in the README.
public struct HistoryLimits: Sendable {
    /// Lines kept per room; 0 turns history off (offsets are still given).
    public var linesPerRoom = 1000
    /// No line older than this is kept or sent, in milliseconds.
    public var ttlMilliseconds: UInt64 = 24 * 3600 * 1000
    /// All rooms' logs together stay within this many bytes; past it the
    /// oldest lines of the least recently active rooms go first.
    public var memoryBytes = 256 << 20

    public init() {}
}

/// A new epoch for a room log: 64 random bits as 16 lowercase hex digits.
/// Random rather than counted, so an epoch never repeats across restarts.
public enum Epoch {
    public static func make() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { bytes[i] = digits[Int((value >> UInt64(60 - 4 * i)) & 0xF)] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
