/// A handle to one counter cell in this process's slot. Incrementing is one
/// plain add to shared memory: no lock, no system call, no allocation (the
/// process is the cell's only writer; the supervisor reads it, a few
/// increments stale at worst, since aligned 8-byte stores never tear).
public struct MetricCounter {
    public let cell: UnsafeMutablePointer<UInt64>

    public init(cell: UnsafeMutablePointer<UInt64>) {
        self.cell = cell
    }

    @inline(__always)
    public func increment() {
        cell.pointee &+= 1
    }

    @inline(__always)
    public func increment(by amount: UInt64) {
        cell.pointee &+= amount
    }

    @inline(__always)
    public func increment(by amount: Int) {
        cell.pointee &+= UInt64(truncatingIfNeeded: amount)
    }

    /// The current value.
    public var value: UInt64 { cell.pointee }
}
