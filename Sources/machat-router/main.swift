// machat-router: owns the rooms; gateways connect to it over a Unix-domain socket.
@preconcurrency import Glibc
import Reactor
import RouterCore

Syscall.ignoreSIGPIPE()
Syscall.keepFreedMemory()
Log.setProcess("router")
let program = "machat-router"
let flags = CommandLineFlags.parse(
    program: program,
    summary:
        "MaChat router: owns rooms, names, offsets, history and the order of messages; gateways connect over a Unix-domain socket.",
    specs: [
        FlagSpec(
            "socket", "PATH", default: RuntimeDirectory.defaultSocketPath(),
            "the Unix-domain socket gateways connect to; its directory is made private (0700)"),
        FlagSpec(
            "gateways", "N", default: "0",
            "after a start, relay no line until N gateways have rejoined their members (machat passes its gateway count)"),
        FlagSpec("rejoin-window", "MS", default: "2000", "the longest to wait for those gateways"),
        FlagSpec("node-id", "ID", "this node's name in Redis (machat passes one per run; default: random)"),
        FlagSpec("store", "PATH", "the history store's socket (machat-store); without it history is kept in memory only"),
    ] + RouterCommand.historySpecs + RouterCommand.redisSpecs)
if let raw = getenv("MACHAT_SUPERVISOR_PID"), let parent = pid_t(String(cString: raw)) {
    ProcessLifetime.dieWithParent(expectedParent: parent)
}
let socketPath = flags.string("socket")
do {
    try RuntimeDirectory.ensure(RuntimeDirectory.parent(of: socketPath))
    var configuration = RouterServer.Configuration(socketPath: socketPath)
    configuration.expectedGateways = flags.int("gateways", program: program)
    configuration.rejoinWindowMilliseconds = flags.int("rejoin-window", program: program)
    configuration.history = RouterCommand.historyLimits(from: flags, program: program)
    let store = flags.string("store")
    configuration.storeSocketPath = store.isEmpty ? nil : store
    configuration.redis = RouterCommand.redisSettings(
        from: flags, program: program, nodeID: flags.string("node-id"), history: configuration.history)
    let server = try RouterServer(configuration: configuration)
    try server.run()
} catch {
    Log.error("router failed", ["error": "\(error)"])
    exit(1)
}
exit(0)
