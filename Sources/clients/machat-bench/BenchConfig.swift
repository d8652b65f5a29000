@preconcurrency import Glibc
import Reactor

/// What to measure, from the command line (Go-style flags, like the seed's
/// programs and the loadgen of record).
struct BenchConfig {
    /// What the senders do during the measurement.
    enum Mode: String {
        /// Closed loop: each sender keeps at most `window` own messages in flight.
        case throughput
        /// Open loop at `rate` messages/s per sender; latency from the scheduled time.
        case latency
        /// Nobody sends; connections are held to measure the server's memory.
        case idle
    }

    var tcpAddress = "127.0.0.1:8989"
    var wsAddress = "127.0.0.1:8099"
    var path = "/mychat"
    /// Fraction of each room's members that use WebSocket (0 = all TCP, 1 = all WS).
    var webSocketFraction = 0.0
    var mixText = "tcp"
    var rooms = 10
    var clientsPerRoom = 10
    var sendersPerRoom = 10
    var size = 32
    var mode = Mode.throughput
    var window = 8
    var rate = 10.0
    var durationSeconds = 10.0
    var warmupSeconds = 0.0
    var pids: [Int32] = []
    var machatPid: Int32?
    var roomOffset = 0
    var sourceIPs = 0
    var json = false
    var strict = false
    var concurrency = 128
    var connectTimeoutSeconds = 120.0
    var joinTimeoutSeconds = 30.0
    var drainTimeoutSeconds = 5.0
    /// WebSocket: end each sent message with `\n`, as the loadgen does by default.
    var webSocketNewline = true
    /// Members join with `"format":"json"` and read message objects.
    var jsonFormat = false

    var members: Int { rooms * clientsPerRoom }

    /// Whether member `slot` of a room uses WebSocket: the WS members are spread
    /// evenly over the slots, so senders and receivers both get the mix.
    func usesWebSocket(slot: Int) -> Bool {
        if webSocketFraction <= 0 { return false }
        if webSocketFraction >= 1 { return true }
        return Int((Double(slot + 1) * webSocketFraction).rounded(.down))
            > Int((Double(slot) * webSocketFraction).rounded(.down))
    }

    static let program = "machat-bench"

    static let specs: [FlagSpec] = [
        FlagSpec("tcp", "ADDR", default: "127.0.0.1:8989", "MaChat TCP address (127.0.0.0/8 only)"),
        FlagSpec("ws", "ADDR", default: "127.0.0.1:8099", "MaChat WebSocket address (127.0.0.0/8 only)"),
        FlagSpec("path", "PATH", default: "/mychat", "WebSocket request path"),
        FlagSpec("mix", "tcp|ws|F", default: "tcp", "transport: all tcp, all ws, or F = fraction of WS members per room"),
        FlagSpec("rooms", "R", default: "10", "number of rooms"),
        FlagSpec("clients", "C", default: "10", "members per room"),
        FlagSpec("senders", "S", default: "", "senders per room (default: all members)"),
        FlagSpec("size", "N", default: "32", "payload bytes per message (\"<seq> <ns> <padding>\")"),
        FlagSpec("mode", "MODE", default: "throughput", "throughput | latency | idle"),
        FlagSpec("window", "W", default: "8", "throughput: own messages in flight per sender (its echo is the ack)"),
        FlagSpec("rate", "R", default: "10", "latency: messages/s per sender, open loop, random phase"),
        FlagSpec("duration", "D", default: "10", "measurement (or idle hold) in seconds; 10, 10s, 500ms, 1m"),
        FlagSpec("warmup", "D", default: "0", "load before the measurement window that is not counted"),
        FlagSpec("pids", "P1,P2", default: "", "server pids: sum VmRSS and CPU from /proc"),
        FlagSpec("machat-pid", "P", default: "", "shorthand for -pids P and all its descendants"),
        FlagSpec("room-offset", "K", default: "0", "number rooms and names from K, so several benches share a server"),
        FlagSpec("srcips", "N", default: "0", "bind clients round-robin to 127.0.0.1..127.0.0.N (for many connections)"),
        FlagSpec("conc", "N", default: "128", "connection attempts in flight"),
        FlagSpec("connect-timeout", "D", default: "120s", "limit for the whole connect phase"),
        FlagSpec("join-timeout", "D", default: "30s", "limit for the join barrier"),
        FlagSpec("drain-timeout", "D", default: "5s", "after sending stops, wait at most this for outstanding deliveries"),
        FlagSpec("ws-newline", "BOOL", default: "true", "ws: end each sent message with \\n"),
        FlagSpec("format", "FORMAT", default: "text", "what members ask for: text (name:text lines) or json (message objects)"),
        FlagSpec("json", nil, "print one JSON line on stdout instead of the table"),
        FlagSpec("strict", nil, "exit 1 on any loss, duplicate, reordering, order mismatch or error"),
    ]

    /// Parses the command line; on a bad value prints why and exits 2.
    static func fromCommandLine() -> BenchConfig {
        let flags = CommandLineFlags.parse(
            program: program,
            summary: "MaChat benchmark: rooms x members over TCP and/or WebSocket; throughput, latency or idle memory.",
            specs: specs)
        var config = BenchConfig()
        config.tcpAddress = flags.string("tcp")
        config.wsAddress = flags.string("ws")
        config.path = flags.string("path")
        config.mixText = flags.string("mix")
        switch config.mixText {
        case "tcp": config.webSocketFraction = 0
        case "ws": config.webSocketFraction = 1
        default:
            guard let fraction = Double(config.mixText), fraction >= 0, fraction <= 1 else {
                usageError("-mix must be tcp, ws or a fraction between 0 and 1")
            }
            config.webSocketFraction = fraction
        }
        config.rooms = flags.int("rooms", program: program)
        config.clientsPerRoom = flags.int("clients", program: program)
        let senders = flags.string("senders")
        config.sendersPerRoom = senders.isEmpty ? config.clientsPerRoom : flags.int("senders", program: program)
        if config.sendersPerRoom < 0 || config.sendersPerRoom > config.clientsPerRoom {
            config.sendersPerRoom = config.clientsPerRoom
        }
        config.size = flags.int("size", program: program)
        guard let mode = Mode(rawValue: flags.string("mode")) else {
            usageError("-mode must be throughput, latency or idle")
        }
        config.mode = mode
        if mode == .idle { config.sendersPerRoom = 0 }
        config.window = flags.int("window", program: program)
        guard let rate = Double(flags.string("rate")), rate > 0 else { usageError("-rate must be a positive number") }
        config.rate = rate
        config.durationSeconds = seconds(flags, "duration")
        config.warmupSeconds = seconds(flags, "warmup")
        config.connectTimeoutSeconds = seconds(flags, "connect-timeout")
        config.joinTimeoutSeconds = seconds(flags, "join-timeout")
        config.drainTimeoutSeconds = seconds(flags, "drain-timeout")
        config.pids = pidList(flags.string("pids"))
        let machat = flags.string("machat-pid")
        if !machat.isEmpty {
            guard let pid = Int32(machat), pid > 0 else { usageError("-machat-pid must be a process id") }
            config.machatPid = pid
        }
        config.roomOffset = flags.int("room-offset", program: program)
        config.sourceIPs = flags.int("srcips", program: program)
        config.concurrency = flags.int("conc", program: program)
        config.webSocketNewline = flags.string("ws-newline") != "false"
        switch flags.string("format") {
        case "text": config.jsonFormat = false
        case "json": config.jsonFormat = true
        default: usageError("-format must be text or json")
        }
        config.json = flags.bool("json")
        config.strict = flags.bool("strict")
        if config.rooms < 1 || config.clientsPerRoom < 1 || config.window < 1 || config.size < 0
            || config.size > 60_000 || config.roomOffset < 0 || config.concurrency < 1
            || config.sourceIPs < 0 || config.sourceIPs > 254
        {
            usageError("bad flags: need -rooms, -clients, -window, -conc >= 1, 0 <= -size <= 60000, 0 <= -srcips <= 254")
        }
        return config
    }

    /// Seconds from `10`, `10s`, `2.5s`, `500ms`, `1m`.
    static func parseSeconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return value * scale
        }
        guard let value = Double(text), value >= 0 else { return nil }
        return value
    }

    private static func seconds(_ flags: CommandLineFlags, _ name: String) -> Double {
        guard let value = parseSeconds(flags.string(name)) else {
            usageError("-\(name) must be a duration such as 10, 10s or 500ms")
        }
        return value
    }

    private static func pidList(_ text: String) -> [Int32] {
        var pids: [Int32] = []
        for part in text.split(separator: ",") {
            guard let pid = Int32(part.trimmingCharacters(in: " ")), pid > 0 else {
                usageError("-pids must be comma-separated process ids")
            }
            pids.append(pid)
        }
        return pids
    }

    /// Reports a usage problem and exits 2.
    static func usageError(_ message: String) -> Never {
        Console.error("\(program): \(message) (see -h)")
        exit(2)
    }
}

extension Substring {
    /// The text without leading and trailing `character`s.
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
