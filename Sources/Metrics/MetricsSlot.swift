/// One process's cells in a `MetricsRegion`; hands out the handles that
/// process counts with. Holds its region, so the memory outlives the handles
/// made from it as long as the slot is kept.
public struct MetricsSlot {
    public let region: MetricsRegion
    let cells: UnsafeMutablePointer<UInt64>

    init(region: MetricsRegion, cells: UnsafeMutablePointer<UInt64>) {
        self.region = region
        self.cells = cells
    }

    /// The cell of `metric` for its label value number `label` (0 without a label).
    public func cell(_ metric: Metric, label: Int = 0) -> UnsafeMutablePointer<UInt64> {
        let family = metric.family
        guard case .slot = family.source else { preconditionFailure("\(family.name) has no cells") }
        precondition(label >= 0 && label < (family.label?.values.count ?? 1), "label \(label) of \(family.name)")
        return cells + MetricsLayout.offset(of: metric) + label * family.cellsPerSeries
    }

    public func counter(_ metric: Metric, label: Int = 0) -> MetricCounter {
        precondition(metric.family.kind == .counter, "\(metric.family.name) is not a counter")
        return MetricCounter(cell: cell(metric, label: label))
    }

    public func gauge(_ metric: Metric, label: Int = 0) -> MetricGauge {
        precondition(metric.family.kind == .gauge, "\(metric.family.name) is not a gauge")
        return MetricGauge(cell: cell(metric, label: label))
    }

    public func histogram(_ metric: Metric, label: Int = 0) -> MetricHistogram {
        guard case .histogram(let buckets) = metric.family.kind else {
            preconditionFailure("\(metric.family.name) is not a histogram")
        }
        return MetricHistogram(cells: cell(metric, label: label), buckets: buckets)
    }
}
