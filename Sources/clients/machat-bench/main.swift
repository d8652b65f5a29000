// machat-bench: the MaChat benchmark client, like redis-benchmark. Connects
// rooms x members over TCP and/or WebSocket, drives a closed-loop (throughput)
// or open-loop (latency) load or holds idle connections, checks every
// delivery (exactly once, per-sender FIFO, one total order per room), and
// prints deliveries/s, latency percentiles and the server's memory and CPU.
// Exit status: 0 done, 1 -strict violation, 2 bad usage, 3 watchdog.
@preconcurrency import Glibc
import Reactor

Syscall.ignoreSIGPIPE()
let config = BenchConfig.fromCommandLine()

func target(_ address: String) -> TargetAddress {
    switch TargetAddress.resolve(address) {
    case .success(let target): return target
    case .failure(let error):
        Console.error("machat-bench: \(error)")
        exit(2)
    }
}
let tcpTarget = target(config.tcpAddress)
let wsTarget = target(config.wsAddress)

let openFiles = OpenFileLimit.raiseToHardLimit()
if config.members + 64 > openFiles {
    Console.error("machat-bench: warning: open file limit \(openFiles) is below \(config.members) connections")
}
if config.sourceIPs == 0 && config.members > 28_000 {
    Console.error(
        "machat-bench: warning: \(config.members) connections from one source IP may exhaust ephemeral ports; use -srcips")
}

var serverPids = config.pids
if let machat = config.machatPid {
    serverPids += ServerProcesses.withDescendants(of: machat).filter { !serverPids.contains($0) }
}
if !serverPids.isEmpty && !config.json {
    Console.error("machat-bench: measuring server pids \(serverPids.map(String.init).joined(separator: ","))")
}

Watchdog.arm(
    seconds: config.connectTimeoutSeconds + config.joinTimeoutSeconds + config.warmupSeconds + config.durationSeconds
        + config.drainTimeoutSeconds + 30,
    json: config.json)

let report: BenchReport
do {
    let run = try BenchRun(config: config, tcpTarget: tcpTarget, wsTarget: wsTarget, serverPids: serverPids)
    report = run.execute()
} catch {
    Console.error("machat-bench: cannot start: \(error)")
    exit(2)
}
Console.out(config.json ? report.json() : report.table())
exit(config.strict && report.hasViolations ? 1 : 0)
