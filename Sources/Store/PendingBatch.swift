/// One APPEND batch waiting for its transaction: its number and a copy of
/// its records' bytes (kept until it commits, so a failed commit is retried).
public struct PendingBatch: Sendable {
    public let number: UInt64
    public let records: [UInt8]

    public init(number: UInt64, records: [UInt8]) {
        self.number = number
        self.records = records
    }
}
