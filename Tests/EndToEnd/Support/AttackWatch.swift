@preconcurrency import Glibc
import Testing

/// What every hostile-input test checks around its attacks: a control room
/// keeps chatting through them (`ControlRoom`), no process restarts (the
/// router's and gateways' pids are the same at the end and the log has no
/// `child exited unexpectedly`), each gateway's resident memory stays within
/// `memoryBoundKiB` of where it started (before, peak during, after), and
/// every descriptor an attack opened in a gateway is closed again.
final class AttackWatch {
    let label: String
    let server: MachatProcess
    let router: pid_t
    let tcpGateway: pid_t
    let webSocketGateway: pid_t
    let memoryBoundKiB: Int
    private let control: ControlRoom
    private let memory: ResidentMemorySampler
    private let descriptorBaseline: [pid_t: Int]
    private let started = MachatProcess.now()

    init(_ server: MachatProcess, label: String, memoryBoundMiB: Int = 64) throws {
        self.label = label
        self.server = server
        memoryBoundKiB = memoryBoundMiB << 10
        let routers = server.children(named: "machat-router")
        let tcp = server.children(named: "machat-tcp-gateway")
        let ws = server.children(named: "machat-ws-gateway")
        guard routers.count == 1, tcp.count == 1, ws.count == 1 else {
            throw HarnessError(description: "expected one router and one gateway of each kind: \(routers) \(tcp) \(ws)")
        }
        router = routers[0]
        tcpGateway = tcp[0]
        webSocketGateway = ws[0]
        control = try ControlRoom(tcpPort: server.tcpPort, wsPort: server.wsPort)
        descriptorBaseline = [
            tcpGateway: Hostile.descriptorCount(tcpGateway), webSocketGateway: Hostile.descriptorCount(webSocketGateway),
        ]
        memory = ResidentMemorySampler(pids: [tcpGateway, webSocketGateway])
    }

    /// The control room's round trips so far.
    var controlRoundTrips: Int { control.current.roundTrips }

    /// Ends the watch and records every check as an expectation of the running test.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        // Descriptors first, while the control members (part of the baseline) are still there.
        for (pid, baseline) in descriptorBaseline.sorted(by: { $0.key < $1.key }) {
            var now = Hostile.descriptorCount(pid)
            let settled = MachatProcess.wait(timeout: 5) {
                now = Hostile.descriptorCount(pid)
                return now <= baseline
            }
            #expect(
                settled, "\(label): gateway \(pid) holds \(now) descriptors, \(baseline) before the attack",
                sourceLocation: sourceLocation)
        }
        let report = control.stop()
        let usage = memory.finish()
        #expect(report.problems.isEmpty, "\(label): control room: \(report)", sourceLocation: sourceLocation)
        #expect(report.roundTrips >= 3, "\(label): control room: \(report)", sourceLocation: sourceLocation)
        #expect(
            server.children(named: "machat-router") == [router], "\(label): the router restarted", sourceLocation: sourceLocation)
        #expect(
            server.children(named: "machat-tcp-gateway") == [tcpGateway], "\(label): the TCP gateway restarted",
            sourceLocation: sourceLocation)
        #expect(
            server.children(named: "machat-ws-gateway") == [webSocketGateway], "\(label): the WebSocket gateway restarted",
            sourceLocation: sourceLocation)
        let log = server.log
        #expect(!log.contains("child exited unexpectedly"), "\(label): a child died:\n\(log)", sourceLocation: sourceLocation)
        var lines: [String] = []
        for (name, pid) in [("tcp-gateway", tcpGateway), ("ws-gateway", webSocketGateway)] {
            guard let use = usage[pid] else { continue }
            #expect(
                use.peak - use.before < memoryBoundKiB && use.after - use.before < memoryBoundKiB,
                "\(label): \(name) resident memory \(use) (bound +\(memoryBoundKiB) KiB)", sourceLocation: sourceLocation)
            lines.append("\(name) RSS \(use) (+\(use.peak - use.before) KiB at peak)")
        }
        print(
            "hostile \(label): \(Int(((MachatProcess.now() - started) * 1000).rounded())) ms; control room \(report); "
                + lines.joined(separator: "; "))
    }
}
