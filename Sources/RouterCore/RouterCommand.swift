@preconcurrency import Glibc
import Reactor
import Redis

/// Router flags that `machat` also accepts and passes on.
public enum RouterCommand {
    /// `-history-size`, `-history-ttl`, `-history-memory`.
    public static let historySpecs: [FlagSpec] = {
        let d = HistoryLimits()
        return [
            FlagSpec(
                "history-size", "LINES", default: String(d.linesPerRoom),
                "lines of history kept per room (0: no history; offsets are still given)"),
            FlagSpec("history-ttl", "DURATION", default: "24h", "no line older than this is kept (e.g. 24h, 90m, 30s)"),
            FlagSpec(
                "history-memory", "BYTES", default: "256MiB",
                "all rooms' history together stays within this; past it the least recently active rooms lose their oldest lines"),
        ]
    }()

    /// `-redis`, `-redis-prefix`; `machat` also passes `-node-id`.
    public static let redisSpecs: [FlagSpec] = [
        FlagSpec(
            "redis", "URLS",
            "share rooms with other nodes through Redis: redis://[[USER]:PASSWORD@]HOST:PORT[/DB], comma-separated for shards"),
        FlagSpec("redis-prefix", "PREFIX", default: "machat:", "prefix of every Redis key and channel"),
        FlagSpec(
            "redis-lease", "MS", default: "5000",
            "a node that has not renewed its lease in Redis for this long is gone; the others remove its members"),
    ]

    /// The Redis settings from the flags, nil without `-redis`; a bad URL is
    /// reported and the program exits 2.
    public static func redisSettings(
        from flags: CommandLineFlags, program: String, nodeID: String, history: HistoryLimits
    ) -> RedisEngineSettings? {
        let text = flags.string("redis")
        guard !text.isEmpty else { return nil }
        let urls: [RedisURL]
        do {
            urls = try RedisURL.parseList(text)
        } catch {
            Log.error("bad -redis", ["error": "\(error)"])
            exit(2)
        }
        var settings = RedisEngineSettings(urls: urls, nodeID: nodeID.isEmpty ? Epoch.make() : nodeID)
        settings.prefix = flags.string("redis-prefix")
        settings.history = history
        settings.leaseMilliseconds = flags.int("redis-lease", program: program)
        if settings.leaseMilliseconds < 500 {
            Log.error("-redis-lease must be at least 500 ms")
            exit(2)
        }
        return settings
    }

    public static func historyLimits(from flags: CommandLineFlags, program: String) -> HistoryLimits {
        var limits = HistoryLimits()
        limits.linesPerRoom = flags.int("history-size", program: program)
        limits.ttlMilliseconds = flags.milliseconds("history-ttl", program: program)
        limits.memoryBytes = flags.bytes("history-memory", program: program)
        if limits.linesPerRoom < 0 {
            Log.error("-history-size must be 0 or more")
            exit(2)
        }
        return limits
    }
}
