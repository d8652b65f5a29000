/// What the supervisor knows about one process when it formats `/metrics`:
/// its name and role, a copy of its slot's cells, and what it reads about it
/// from the kernel.
public struct ProcessSample: Sendable {
    /// The `process` label: `machat`, `router`, `tcp-gateway-1`, `ws-gateway-2`, …
    public var name: String
    public var role: ProcessRole
    /// The `protocol` label of a gateway (`tcp`, `ws`); nil for others.
    public var protocolName: String?
    /// Its slot's cells (`MetricsLayout`); empty for the supervisor.
    public var cells: [UInt64]
    /// True while it runs (a child; the supervisor always runs).
    public var isUp: Bool
    /// Restarts after an unexpected exit.
    public var restarts: UInt64
    /// Memory and CPU time, when the process runs and /proc could tell.
    public var statistics: ProcessStatistics?

    public init(
        name: String, role: ProcessRole, protocolName: String? = nil, cells: [UInt64] = [], isUp: Bool = true,
        restarts: UInt64 = 0, statistics: ProcessStatistics? = nil
    ) {
        self.name = name
        self.role = role
        self.protocolName = protocolName
        self.cells = cells
        self.isUp = isUp
        self.restarts = restarts
        self.statistics = statistics
    }

    /// The value of a gauge cell (0 if there are no cells).
    public func gauge(_ metric: Metric) -> Int64 {
        let offset = MetricsLayout.offset(of: metric)
        return offset < cells.count ? Int64(bitPattern: cells[offset]) : 0
    }
}
