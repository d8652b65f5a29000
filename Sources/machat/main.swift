// machat: the supervisor and the one command a user runs.
@preconcurrency import Glibc
import Auth
import GatewayCore
import Reactor
import RouterCore
import Store

Syscall.ignoreSIGPIPE()
Log.setProcess("machat")
// Subcommands: `machat token …` mints a join token, `machat history …` prints a room's log.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "token" {
    let outcome = TokenCommand.run(arguments: Array(CommandLine.arguments.dropFirst(2)), now: Int64(time(nil)))
    fputs(outcome.standardError, stderr)
    fputs(outcome.standardOutput, stdout)
    exit(outcome.exitStatus)
}
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "history" {
    exit(HistoryCommand.main(arguments: Array(CommandLine.arguments.dropFirst(2))))
}
let program = "machat"
let ownSpecs = [
    FlagSpec("tcp", "ADDR", default: "localhost:8989", "TCP chat address (host:port; port 0 picks a free port)"),
    FlagSpec("ws", "ADDR", default: "localhost:8099", "WebSocket chat address (host:port; port 0 picks a free port)"),
    FlagSpec("tcp-gateways", "N", default: "1", "TCP gateway processes sharing the TCP socket"),
    FlagSpec("ws-gateways", "N", default: "1", "WebSocket gateway processes sharing the WebSocket socket (0: no WebSocket)"),
    FlagSpec(
        "data-dir", "DIR", default: DataDirectory.defaultPath(),
        "keep every room's history in a SQLite database here (\"none\": in memory only; ignored with -redis)"),
    FlagSpec("sync", "MODE", default: "normal", "history store: normal (a commit survives any process dying) or full (also power loss)"),
    FlagSpec("max-db-bytes", "BYTES", default: "0", "the history database may not grow past this (0: no limit); past it lines wait"),
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
// A bad gateway flag stops machat now, not its gateways in a restart loop.
GatewayCommand.checkGatewayFlags(flags, program: program)

func passOn(_ specs: [FlagSpec]) -> [String] {
    // `-name=value`: the one form every flag takes, switches (`-web=false`) included.
    specs.filter { flags.given.contains($0.name) }.map { "-\($0.name)=\(flags.string($0.name))" }
}

// A bad secrets file stops machat here, not in every gateway's restart loop.
_ = GatewayCommand.tokenVerifier(path: flags.string("auth-secret-file"))
let tcpGateways = flags.int("tcp-gateways", program: program)
let webSocketGateways = flags.int("ws-gateways", program: program)
guard tcpGateways >= 1, webSocketGateways >= 0 else {
    Log.error("need at least one TCP gateway and zero or more WebSocket gateways")
    exit(2)
}
let runtimeDirectory = flags.string("runtime-dir").isEmpty ? RuntimeDirectory.defaultPath() : flags.string("runtime-dir")
var configuration = Supervisor.Configuration(
    tcpAddress: flags.string("tcp"), webSocketAddress: flags.string("ws"), runtimeDirectory: runtimeDirectory,
    tcpGateways: tcpGateways, webSocketGateways: webSocketGateways,
    gatewayArguments: passOn(passedSpecs), webSocketArguments: passOn(webSocketSpecs), routerArguments: passOn(routerSpecs),
    metricsAddress: flags.string("metrics"))
// With Redis the history lives in Redis; otherwise on disk unless `-data-dir none`.
let dataDirectory = flags.string("data-dir")
if flags.string("redis").isEmpty && dataDirectory != DataDirectory.disabled {
    configuration.dataDirectory = dataDirectory
    configuration.storeArguments =
        ["-sync=\(flags.string("sync"))", "-max-db-bytes=\(flags.string("max-db-bytes"))"] + passOn(RouterCommand.historySpecs.filter { $0.name != "history-memory" })
}
do {
    let supervisor = try Supervisor(configuration: configuration)
    exit(supervisor.run())
} catch {
    Log.error("cannot start", ["error": error])
    exit(1)
}
