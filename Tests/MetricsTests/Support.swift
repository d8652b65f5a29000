@preconcurrency import Glibc
import Foundation
import Metrics

/// Runs `promtool` (Debian's, the independent checker of the Prometheus
/// formats) with `arguments`, `input` on its stdin; its exit status and
/// everything it printed.
func promtool(_ arguments: [String], input: [UInt8] = []) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
    process.arguments = arguments
    let stdin = Pipe()
    let output = Pipe()
    process.standardInput = stdin
    process.standardOutput = output
    process.standardError = output
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

/// A node of one router and one TCP gateway with known values in their slots.
func sampleNode(region: MetricsRegion) -> [ProcessSample] {
    let router = RouterMetrics(slot: region.slot(0))
    router.rooms.set(2)
    router.members.set(3)
    router.historyLines.set(40)
    router.historyBytes.set(8192)
    router.linesOrdered.increment(by: 40)
    router.backingUp.set(true)
    for microseconds: UInt64 in [40, 300, 1200, 20_000_000] { router.backingRoundTrip.observe(microseconds) }
    let gateway = GatewayMetrics(slot: region.slot(1))
    gateway.connections.set(3)
    gateway.connectionsAccepted.increment(by: 4)
    gateway.joins.increment(by: 3)
    gateway.refused(.nameTaken)
    gateway.linesIn.increment(by: 40)
    gateway.deliveries.increment(by: 120)
    gateway.clientReceivedBytes.increment(by: 1000)
    gateway.clientSentBytes.increment(by: 3000)
    gateway.routerLinkUp.set(true)
    for milliseconds: UInt64 in [0, 1, 2, 7, 7000] { gateway.deliveryLatency.observe(milliseconds) }
    return [
        ProcessSample(
            name: "machat", role: .supervisor,
            statistics: ProcessStatistics(residentBytes: 12_582_912, cpuTicks: 150, ticksPerSecond: 100)),
        ProcessSample(
            name: "router", role: .router, cells: region.cells(ofSlot: 0), isUp: true, restarts: 1,
            statistics: ProcessStatistics(residentBytes: 8_388_608, cpuTicks: 7, ticksPerSecond: 100)),
        ProcessSample(
            name: "tcp-gateway-1", role: .gateway, protocolName: "tcp", cells: region.cells(ofSlot: 1), isUp: true,
            restarts: 0, statistics: nil),
        ProcessSample(name: "store", role: .store, isUp: true, restarts: 0, statistics: nil),
    ]
}
