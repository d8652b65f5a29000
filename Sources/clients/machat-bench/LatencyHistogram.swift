/// Latencies in nanoseconds, kept as counts in log-linear buckets (HDR style):
/// exact below 64 ns, then 32 buckets per power of two, so any reported
/// quantile is within about 3% of the true value and memory is fixed (no
/// per-sample storage however long the run).
struct LatencyHistogram {
    /// Sub-buckets per power of two, as a power of two.
    private static let subBucketBits = 5
    private static let subBuckets = 1 << subBucketBits
    /// 64 exact buckets, then 32 per octave up to 2^64 ns.
    private static let bucketCount = 2 * subBuckets + (64 - subBucketBits - 1) * subBuckets

    private var counts: [UInt64]
    private(set) var total: UInt64 = 0
    private(set) var maxNanoseconds: UInt64 = 0

    init() {
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    /// The bucket of `value`: values below 64 map to themselves; above, the top
    /// six significant bits pick the bucket within the value's octave.
    @inline(__always)
    private static func bucket(_ value: UInt64) -> Int {
        if value < UInt64(2 * subBuckets) { return Int(value) }
        let shift = (64 - value.leadingZeroBitCount) - (subBucketBits + 1)
        return shift * subBuckets + Int(value >> UInt64(shift))
    }

    /// The smallest and largest value that land in bucket `index`.
    private static func range(of index: Int) -> (low: UInt64, high: UInt64) {
        if index < 2 * subBuckets { return (UInt64(index), UInt64(index)) }
        let shift = index / subBuckets - 1
        let mantissa = UInt64(index - shift * subBuckets)
        let low = mantissa << UInt64(shift)
        return (low, low + (UInt64(1) << UInt64(shift)) - 1)
    }

    @inline(__always)
    mutating func record(_ nanoseconds: UInt64) {
        counts[Self.bucket(nanoseconds)] &+= 1
        total &+= 1
        if nanoseconds > maxNanoseconds { maxNanoseconds = nanoseconds }
    }

    /// Forgets every sample (the end of a warm-up).
    mutating func reset() {
        for index in counts.indices { counts[index] = 0 }
        total = 0
        maxNanoseconds = 0
    }

    /// The `q`-quantile in milliseconds (the middle of its bucket, never above
    /// the maximum seen); 0 when empty.
    func quantileMilliseconds(_ q: Double) -> Double {
        guard total > 0 else { return 0 }
        let rank = min(total, max(1, UInt64(q * Double(total) + 0.5)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank {
                let (low, high) = Self.range(of: index)
                let middle = min(Double(low) / 2 + Double(high) / 2, Double(maxNanoseconds))
                return middle / 1e6
            }
        }
        return Double(maxNanoseconds) / 1e6
    }

    var maxMilliseconds: Double { Double(maxNanoseconds) / 1e6 }
}
