/// What the metrics endpoint asks its owner (the supervisor) at each request.
public protocol MetricsSource: AnyObject {
    /// Every process of the node, now.
    func processSamples() -> [ProcessSample]
    /// True once the node is stopping (healthz then fails).
    var isStopping: Bool { get }
}
