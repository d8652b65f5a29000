// machat-store: keeps every room's log in the data directory's SQLite
// database; the router connects to it over a Unix-domain socket.
@preconcurrency import Glibc
import Reactor
import Store

Syscall.ignoreSIGPIPE()
Log.setProcess("store")
let program = "machat-store"
let flags = CommandLineFlags.parse(
    program: program,
    summary: "MaChat history store: commits the router's lines to an SQLite database in batches, off the router's loop.",
    specs: StoreCommand.specs)
if let raw = getenv("MACHAT_SUPERVISOR_PID"), let parent = pid_t(String(cString: raw)) {
    ProcessLifetime.dieWithParent(expectedParent: parent)
}
// Commits only delay acknowledgements, never deliveries: the store's
// wake-ups (one per commit) must not preempt the router or a gateway.
ProcessLifetime.runAsBackgroundWork()
let configuration = StoreCommand.configuration(from: flags, program: program)
let server: StoreServer
do {
    try RuntimeDirectory.ensure(RuntimeDirectory.parent(of: configuration.socketPath))
    server = try StoreServer(configuration: configuration)
} catch {
    Log.error("store cannot start", ["error": "\(error)"])
    exit(StoreCommand.unusableExitStatus)
}
do {
    try server.run()
} catch {
    Log.error("store failed", ["error": "\(error)"])
    exit(1)
}
exit(0)
