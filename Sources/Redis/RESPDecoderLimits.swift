/// The bounds a `RESPDecoder` enforces, each checked as soon as the header
/// that would exceed it arrives, so an oversized reply is refused before its
/// payload is buffered. Exceeding one is a `RESPProtocolError` naming it.
public struct RESPDecoderLimits: Equatable, Sendable {
    /// Largest bulk string, bulk error or verbatim string payload, in bytes.
    public var maxBulkLength: Int
    /// Most elements one aggregate may announce (pairs for maps and attributes).
    public var maxAggregateCount: Int
    /// Deepest nesting of aggregates; 0 allows none, 1 a flat array.
    public var maxDepth: Int
    /// Longest header or simple line (`+`, `-`, `:`, `,`, `(`, `#`, `_`, and
    /// the length lines), excluding the type byte and CRLF.
    public var maxLineLength: Int
    /// Most wire bytes one top-level reply may take, counting the payloads of
    /// everything already decoded inside its unfinished aggregates. Keep it at
    /// least `maxBulkLength` plus a little, or the largest bulk cannot arrive.
    public var maxBufferedBytes: Int

    /// Defaults sized for MaChat's engine traffic: 64 MiB strings (Redis
    /// itself defaults `proto-max-bulk-len` to 512 MiB), a million elements,
    /// 32 levels, 64 KiB lines and 128 MiB per reply.
    public init(
        maxBulkLength: Int = 64 << 20, maxAggregateCount: Int = 1 << 20, maxDepth: Int = 32, maxLineLength: Int = 64 << 10,
        maxBufferedBytes: Int = 128 << 20
    ) {
        precondition(maxBulkLength >= 0 && maxAggregateCount >= 0 && maxDepth >= 0, "limits must not be negative")
        precondition(maxLineLength >= 1 && maxBufferedBytes >= 3, "lines and replies need room for at least one byte")
        self.maxBulkLength = maxBulkLength
        self.maxAggregateCount = maxAggregateCount
        self.maxDepth = maxDepth
        self.maxLineLength = maxLineLength
        self.maxBufferedBytes = maxBufferedBytes
    }
}
