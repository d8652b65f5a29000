@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// The flags of `machat-store` (which `machat` passes on), and turning them
/// into a `StoreServer.Configuration`.
public enum StoreCommand {
    /// Exit status for a database or data directory that cannot be used
    /// (corrupt, unknown schema, locked by another process): restarting
    /// will not help (sysexits.h EX_CONFIG).
    public static let unusableExitStatus: Int32 = 78

    public static let specs: [FlagSpec] = [
        FlagSpec(
            "socket", "PATH", default: RuntimeDirectory.parent(of: RuntimeDirectory.defaultSocketPath()) + "/store.sock",
            "the Unix-domain socket the router connects to; its directory is made private (0700)"),
        FlagSpec("data-dir", "DIR", default: DataDirectory.defaultPath(), "directory of the history database"),
        FlagSpec("history-size", "LINES", default: "1000", "lines kept per room until the router says its own"),
        FlagSpec("history-ttl", "DURATION", default: "24h", "no line older than this is kept, until the router says its own"),
        FlagSpec(
            "sync", "MODE", default: "normal",
            "normal: a commit survives any process dying; full: also power loss (an fsync per batch)"),
        FlagSpec("max-db-bytes", "BYTES", default: "0", "the database may not grow past this (0: no limit); past it lines wait"),
    ]

    /// The configuration `flags` ask for; a bad value is reported and the
    /// program exits 2.
    public static func configuration(from flags: CommandLineFlags, program: String) -> StoreServer.Configuration {
        var configuration = StoreServer.Configuration(socketPath: flags.string("socket"), dataDirectory: flags.string("data-dir"))
        let size = flags.int("history-size", program: program)
        guard size >= 0, size <= Int(UInt32.max) else { fail(program, "-history-size must be 0 or more") }
        configuration.retention = RetentionSettings(
            linesPerRoom: UInt32(size), ttlMilliseconds: flags.milliseconds("history-ttl", program: program))
        guard let sync = HistoryDatabase.Synchronous(rawValue: flags.string("sync")) else {
            fail(program, "-sync must be normal or full, got \"\(flags.string("sync"))\"")
        }
        configuration.database.synchronous = sync
        configuration.database.maxBytes = flags.bytes("max-db-bytes", program: program)
        if configuration.dataDirectory == DataDirectory.disabled {
            fail(program, "-data-dir none means no store; machat then keeps history in memory only")
        }
        return configuration
    }

    private static func fail(_ program: String, _ message: String) -> Never {
        let text = "\(program): \(message)\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        exit(2)
    }
}
