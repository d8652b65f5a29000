// machat: the supervisor and the one command a user runs.
@preconcurrency import Glibc
import GatewayCore
import Reactor
import RouterCore

Syscall.ignoreSIGPIPE()
Log.setProcess("machat")
let program = "machat"
let ownSpecs = [
    FlagSpec("tcp", "ADDR", default: "localhost:8989", "TCP chat address (host:port; port 0 picks a free port)"),
    FlagSpec("ws", "ADDR", default: "localhost:8099", "WebSocket chat address (host:port; port 0 picks a free port)"),
    FlagSpec("tcp-gateways", "N", default: "1", "TCP gateway processes sharing the TCP socket"),
    FlagSpec("ws-gateways", "N", default: "1", "WebSocket gateway processes sharing the WebSocket socket (0: no WebSocket)"),
    FlagSpec(
        "runtime-dir", "DIR",
        "private directory (0700) for the router socket (default: $XDG_RUNTIME_DIR or /tmp, /machat-<uid>-<pid>)"),
    FlagSpec(
        "metrics", "ADDR",
        "serve Prometheus /metrics and /healthz for the whole node at host:port (e.g. 127.0.0.1:9464); off by default"),
]
let passedSpecs = GatewayCommand.limitSpecs
let webSocketSpecs = GatewayCommand.webSocketSpecs
let routerSpecs = RouterCommand.historySpecs + RouterCommand.redisSpecs
let flags = CommandLineFlags.parse(
    program: program,
    summary: "MaChat: chat rooms over TCP and WebSocket. Starts and supervises machat-router and the gateways.",
    specs: ownSpecs + routerSpecs + passedSpecs + webSocketSpecs)

func passOn(_ specs: [FlagSpec]) -> [String] {
    // `-name=value`: the one form every flag takes, switches (`-web=false`) included.
    specs.filter { flags.given.contains($0.name) }.map { "-\($0.name)=\(flags.string($0.name))" }
}

let tcpGateways = flags.int("tcp-gateways", program: program)
let webSocketGateways = flags.int("ws-gateways", program: program)
guard tcpGateways >= 1, webSocketGateways >= 0 else {
    Log.error("need at least one TCP gateway and zero or more WebSocket gateways")
    exit(2)
}
let runtimeDirectory = flags.string("runtime-dir").isEmpty ? RuntimeDirectory.defaultPath() : flags.string("runtime-dir")
let configuration = Supervisor.Configuration(
    tcpAddress: flags.string("tcp"), webSocketAddress: flags.string("ws"), runtimeDirectory: runtimeDirectory,
    tcpGateways: tcpGateways, webSocketGateways: webSocketGateways,
    gatewayArguments: passOn(passedSpecs), webSocketArguments: passOn(webSocketSpecs), routerArguments: passOn(routerSpecs),
    metricsAddress: flags.string("metrics"))
do {
    let supervisor = try Supervisor(configuration: configuration)
    exit(supervisor.run())
} catch {
    Log.error("cannot start", ["error": error])
    exit(1)
}
