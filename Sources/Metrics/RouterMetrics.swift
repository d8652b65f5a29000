/// The handles the router counts with, resolved once from its slot.
public struct RouterMetrics {
    public let slot: MetricsSlot
    public let rooms: MetricGauge
    public let members: MetricGauge
    public let historyLines: MetricGauge
    public let historyBytes: MetricGauge
    public let linesOrdered: MetricCounter
    public let backingUp: MetricGauge
    public let backingRoundTrip: MetricHistogram

    public init(slot: MetricsSlot) {
        self.slot = slot
        rooms = slot.gauge(.rooms)
        members = slot.gauge(.members)
        historyLines = slot.gauge(.historyLines)
        historyBytes = slot.gauge(.historyBytes)
        linesOrdered = slot.counter(.linesOrdered)
        backingUp = slot.gauge(.backingUp)
        backingRoundTrip = slot.histogram(.backingRoundTrip)
    }
}
