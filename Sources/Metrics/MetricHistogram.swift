/// A handle to one histogram's cells in this process's slot: a count per
/// bucket (not cumulative; the exposition adds them up) and the sum of the
/// observations in the histogram's unit. An observation is a few compares and
/// two adds.
public struct MetricHistogram {
    public let cells: UnsafeMutablePointer<UInt64>
    /// Bucket bounds in observed units, ascending; `count` of them.
    private let thresholds: UnsafePointer<UInt64>
    private let count: Int

    public init(cells: UnsafeMutablePointer<UInt64>, buckets: MetricBuckets) {
        self.cells = cells
        self.thresholds = Self.thresholdStorage(for: buckets)
        self.count = buckets.boundsNanoseconds.count
    }

    /// Records one observation in the histogram's unit.
    @inline(__always)
    public func observe(_ value: UInt64) {
        var bucket = 0
        while bucket < count && value > thresholds[bucket] { bucket += 1 }
        cells[bucket] &+= 1
        cells[count + 1] &+= value
    }

    /// Observations so far (all buckets).
    public var observationCount: UInt64 {
        (0...count).reduce(0) { $0 &+ cells[$1] }
    }

    /// Thresholds live for the process: a histogram handle is made once per
    /// process and metric, and its observations must not touch an array's
    /// reference count.
    private static func thresholdStorage(for buckets: MetricBuckets) -> UnsafePointer<UInt64> {
        let values = buckets.thresholds
        let storage = UnsafeMutablePointer<UInt64>.allocate(capacity: values.count)
        storage.initialize(from: values, count: values.count)
        return UnsafePointer(storage)
    }
}
