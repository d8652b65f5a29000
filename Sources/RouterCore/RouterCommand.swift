@preconcurrency import Glibc
import Reactor

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
