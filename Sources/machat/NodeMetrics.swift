@preconcurrency import Glibc
import Metrics
import Reactor

/// `machat -metrics ADDR`: the shared region the children count into (one
/// slot each, router first) and the endpoint that serves `/metrics` and
/// `/healthz` from the supervisor's loop, reading every slot per request.
final class NodeMetrics: MetricsSource {
    let region: MetricsRegion
    private let children: [ChildProcess]
    private var server: MetricsServer?
    /// Set when the supervisor starts stopping: healthz fails from then on.
    var isStopping = false

    /// Creates the region, gives every child its slot, and starts serving.
    init(address text: String, router: ChildProcess, gateways: [ChildProcess], store: ChildProcess?, loop: EventLoop) throws {
        let address = try SocketAddress.resolve(text, passive: true)[0]
        // The store writes no cells; its slot only keeps the indexes simple.
        children = [router] + gateways + (store.map { [$0] } ?? [])
        region = try MetricsRegion.createShared(slots: children.count)
        for (index, child) in children.enumerated() {
            child.metricsRegion = region.file
            child.metricsSlot = index
        }
        let server = try MetricsServer(address: address, loop: loop, source: self)
        self.server = server
        Log.info("metrics listening", ["addr": server.address])
    }

    /// A child exited: its gauges (connections, link, rooms) are zeroed; its
    /// counters stay for its successor to continue.
    func childExited(_ child: ChildProcess) {
        region.resetGauges(ofSlot: child.metricsSlot)
    }

    func processSamples() -> [ProcessSample] {
        var samples = [ProcessSample(name: "machat", role: .supervisor, statistics: ProcessStatistics.read(pid: getpid()))]
        for child in children {
            let role: ProcessRole
            switch child.role {
            case .router: role = .router
            case .gateway: role = .gateway
            case .store: role = .store
            }
            samples.append(
                ProcessSample(
                    name: child.name, role: role,
                    protocolName: role == .gateway ? (child.name.hasPrefix("ws-") ? "ws" : "tcp") : nil,
                    cells: region.cells(ofSlot: child.metricsSlot), isUp: child.pid != nil, restarts: child.restarts,
                    statistics: child.pid.flatMap { ProcessStatistics.read(pid: $0) }))
        }
        return samples
    }
}
