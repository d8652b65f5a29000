/// Which kind of process writes a metric's cells, or where its value comes from.
public enum ProcessRole: Sendable, Equatable {
    /// `machat` itself.
    case supervisor
    case router
    case gateway
    /// The history store (`machat-store`): no slot cells, only what the
    /// supervisor knows about it (up, restarts, memory, CPU).
    case store
}

/// A value the supervisor knows about every process it runs, read when it
/// formats `/metrics` (no slot cell behind it).
public enum ProcessValue: Sendable, Equatable {
    /// 1 while the child runs, 0 while it is down (children only).
    case up
    /// Restarts after an unexpected exit (children only).
    case restarts
    /// Resident set size in bytes (/proc/PID/stat).
    case residentBytes
    /// User plus system CPU time in seconds (/proc/PID/stat).
    case cpuSeconds
}

/// Histogram buckets for a time: upper bounds in nanoseconds (so every bound
/// is an exact integer and prints as an exact decimal of seconds) and the
/// unit of the observations, also in nanoseconds (1,000,000 for milliseconds).
public struct MetricBuckets: Sendable, Equatable {
    /// Finite upper bounds, ascending; `+Inf` is implied.
    public let boundsNanoseconds: [UInt64]
    /// Nanoseconds per observed unit.
    public let unitNanoseconds: UInt64

    public init(boundsNanoseconds: [UInt64], unitNanoseconds: UInt64) {
        precondition(!boundsNanoseconds.isEmpty && zip(boundsNanoseconds, boundsNanoseconds.dropFirst()).allSatisfy(<))
        precondition(unitNanoseconds > 0)
        self.boundsNanoseconds = boundsNanoseconds
        self.unitNanoseconds = unitNanoseconds
    }

    /// The bounds in observed units: an integer observation `v` is at most a
    /// bound `b` exactly when `v <= floor(b / unit)`.
    public var thresholds: [UInt64] { boundsNanoseconds.map { $0 / unitNanoseconds } }

    /// Prometheus's latency buckets from 0.5 ms to 5 s, for observations in milliseconds.
    public static let latencyMilliseconds = MetricBuckets(
        boundsNanoseconds: [
            500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000,
            500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000,
        ],
        unitNanoseconds: 1_000_000)

    /// Round trips to a local service, from 50 µs to 10 s, for observations
    /// in microseconds (a Redis or SQLite answer is usually well under 1 ms).
    public static let roundTripMicroseconds = MetricBuckets(
        boundsNanoseconds: [
            50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
            100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000,
        ],
        unitNanoseconds: 1_000)
}

/// A label with a small fixed set of values, each with its own cell.
public struct MetricLabel: Sendable, Equatable {
    public let name: String
    public let values: [String]

    public init(_ name: String, values: [String]) {
        self.name = name
        self.values = values
    }
}

/// One metric family of the exposition: its name, help, type, and where its
/// samples come from. `Metric` lists every family MaChat exports.
public struct MetricFamily: Sendable, Equatable {
    /// The exposition type (Prometheus text format 0.0.4, "TYPE").
    public enum Kind: Sendable, Equatable {
        /// Only goes up (wrapping UInt64 cells).
        case counter
        /// Goes up and down; cells hold an Int64 bit pattern.
        case gauge
        /// One cell per bucket (not cumulative; the +Inf bucket last) and a
        /// sum cell in observed units.
        case histogram(MetricBuckets)
    }

    /// Where the samples come from.
    public enum Source: Sendable, Equatable {
        /// Cells in the metrics slot of every process of this role.
        case slot(ProcessRole)
        /// What the supervisor knows of each process.
        case supervisor(ProcessValue)
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let source: Source
    public let label: MetricLabel?

    public init(_ name: String, _ kind: Kind, _ source: Source, label: MetricLabel? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.source = source
        self.label = label
        self.help = help
    }

    /// Cells per label value: 1, or a histogram's buckets and its sum.
    public var cellsPerSeries: Int {
        switch kind {
        case .counter, .gauge: return 1
        case .histogram(let buckets): return buckets.boundsNanoseconds.count + 2
        }
    }

    /// Cells this family takes in a slot (0 for supervisor-computed families).
    public var cellCount: Int {
        guard case .slot = source else { return 0 }
        return cellsPerSeries * (label?.values.count ?? 1)
    }

    /// The TYPE line's word.
    public var typeName: String {
        switch kind {
        case .counter: return "counter"
        case .gauge: return "gauge"
        case .histogram: return "histogram"
        }
    }
}
