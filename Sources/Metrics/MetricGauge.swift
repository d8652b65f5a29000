/// A handle to one gauge cell in this process's slot: an Int64 stored as its
/// bit pattern, set or adjusted with plain stores (see `MetricCounter`).
public struct MetricGauge {
    public let cell: UnsafeMutablePointer<UInt64>

    public init(cell: UnsafeMutablePointer<UInt64>) {
        self.cell = cell
    }

    @inline(__always)
    public func set(_ value: Int) {
        cell.pointee = UInt64(bitPattern: Int64(value))
    }

    @inline(__always)
    public func set(_ value: Bool) {
        cell.pointee = value ? 1 : 0
    }

    @inline(__always)
    public func add(_ amount: Int) {
        cell.pointee &+= UInt64(bitPattern: Int64(amount))
    }

    /// The current value.
    public var value: Int64 { Int64(bitPattern: cell.pointee) }
}
