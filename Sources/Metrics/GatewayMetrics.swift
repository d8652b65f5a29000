/// The handles a gateway counts with, resolved once from its slot.
public struct GatewayMetrics {
    public let slot: MetricsSlot
    public let connections: MetricGauge
    public let connectionsAccepted: MetricCounter
    public let joins: MetricCounter
    public let linesIn: MetricCounter
    public let linesNotAccepted: MetricCounter
    public let deliveries: MetricCounter
    public let clientReceivedBytes: MetricCounter
    public let clientSentBytes: MetricCounter
    public let slowConsumerDisconnects: MetricCounter
    public let rateLimited: MetricCounter
    public let heldBytes: MetricGauge
    public let routerLinkUp: MetricGauge
    public let deliveryLatency: MetricHistogram
    private let refusals: UnsafeMutablePointer<UInt64>

    public init(slot: MetricsSlot) {
        self.slot = slot
        connections = slot.gauge(.connections)
        connectionsAccepted = slot.counter(.connectionsAccepted)
        joins = slot.counter(.joins)
        linesIn = slot.counter(.linesIn)
        linesNotAccepted = slot.counter(.linesNotAccepted)
        deliveries = slot.counter(.deliveries)
        clientReceivedBytes = slot.counter(.clientReceivedBytes)
        clientSentBytes = slot.counter(.clientSentBytes)
        slowConsumerDisconnects = slot.counter(.slowConsumerDisconnects)
        rateLimited = slot.counter(.rateLimited)
        heldBytes = slot.gauge(.heldBytes)
        routerLinkUp = slot.gauge(.routerLinkUp)
        deliveryLatency = slot.histogram(.deliveryLatency)
        refusals = slot.cell(.joinRefusals)
    }

    /// Counts one refused connection.
    public func refused(_ reason: JoinRefusalReason) {
        refusals[reason.rawValue] &+= 1
    }

    /// The count of refusals for `reason` so far.
    public func refusals(_ reason: JoinRefusalReason) -> UInt64 {
        refusals[reason.rawValue]
    }
}
