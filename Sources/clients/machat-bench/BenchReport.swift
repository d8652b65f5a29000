/// The results of one run: what the summary table and the JSON line show.
/// Field names follow the loadgen's JSON, so the two can be compared directly.
struct BenchReport {
    var mix = "tcp"
    var mode = "throughput"
    var target = ""
    var rooms = 0
    var clientsPerRoom = 0
    var sendersPerRoom = 0
    var size = 0
    var window = 0
    var rate = 0.0
    var durationSeconds = 0.0

    var connections = 0
    var connected = 0
    var connectFailures = 0
    var connectSeconds = 0.0
    var joinSeconds = 0.0
    var unreadyRooms = 0
    var unreadyMembers = 0

    var sent = 0
    var sentInWindow = 0
    var expected = 0
    var delivered = 0
    var deliveredInWindow = 0
    var drainSeconds = 0.0
    var lost = 0
    var duplicates = 0
    var outOfOrder = 0
    var orderMismatchRooms = 0
    var foreign = 0
    var malformed = 0
    var emptyLines = 0
    var latency: (p50: Double, p90: Double, p99: Double, p999: Double, max: Double) = (0, 0, 0, 0, 0)

    var rssBase: Int?
    var rssPeak: Int?
    var rssFinal: Int?
    var serverCPUPercent: Double?
    var benchCPUPercent = 0.0
    var machineCPUPercent = 0.0
    var errors = 0
    var errorSample: String?

    var deliveredPerSecond: Double { durationSeconds > 0 ? Double(deliveredInWindow) / durationSeconds : 0 }
    var sentPerSecond: Double { durationSeconds > 0 ? Double(sentInWindow) / durationSeconds : 0 }
    var connectPerSecond: Double { connectSeconds > 0 ? Double(connected) / connectSeconds : 0 }
    /// Server memory per connection: (peak - base) / connections.
    var bytesPerConnection: Double? {
        guard let rssBase, let rssPeak, connected > 0 else { return nil }
        return Double(rssPeak - rssBase) / Double(connected)
    }
    var finalBytesPerConnection: Double? {
        guard let rssBase, let rssFinal, connected > 0 else { return nil }
        return Double(rssFinal - rssBase) / Double(connected)
    }

    /// Whether `-strict` fails the run.
    var hasViolations: Bool {
        lost != 0 || duplicates != 0 || outOfOrder != 0 || orderMismatchRooms != 0 || errors != 0
            || connectFailures != 0 || unreadyRooms != 0 || malformed != 0
    }

    mutating func configure(from config: BenchConfig) {
        mix = config.mixText
        mode = config.mode.rawValue
        target =
            config.webSocketFraction >= 1
            ? config.wsAddress
            : config.webSocketFraction > 0 ? "\(config.tcpAddress)+\(config.wsAddress)" : config.tcpAddress
        rooms = config.rooms
        clientsPerRoom = config.clientsPerRoom
        sendersPerRoom = config.sendersPerRoom
        size = config.size
        window = config.mode == .throughput ? config.window : 0
        rate = config.mode == .latency ? config.rate : 0
        durationSeconds = config.durationSeconds
        connections = config.members
    }

    /// Messages sent in each room times the room's joined members.
    static func expectedDeliveries(members: [Member], config: BenchConfig) -> Int {
        var total = 0
        for room in 0..<config.rooms {
            let roomMembers = members[room * config.clientsPerRoom..<(room + 1) * config.clientsPerRoom]
            let sent = roomMembers.reduce(0) { $0 + $1.sent }
            let joined = roomMembers.reduce(0) { $0 + ($1.isJoinedOrWas ? 1 : 0) }
            total += sent * joined
        }
        return total
    }

    /// Sums the members' checks and compares each room's delivery order.
    mutating func collect(members: [Member], histogram: LatencyHistogram, config: BenchConfig) {
        expected = Self.expectedDeliveries(members: members, config: config)
        for room in 0..<config.rooms {
            var firstHash: UInt64?
            var mismatch = false
            for member in members[room * config.clientsPerRoom..<(room + 1) * config.clientsPerRoom]
            where member.isJoinedOrWas {
                let ledger = member.ledger
                sent += member.sent
                delivered += ledger.distinct
                duplicates += ledger.duplicates
                outOfOrder += ledger.outOfOrder
                foreign += ledger.foreign
                malformed += ledger.malformed
                emptyLines += ledger.emptyLines
                if let bad = ledger.lastMalformed, errorSample == nil { errorSample = "malformed: \(bad)" }
                guard config.mode != .idle else { continue }
                if let firstHash, firstHash != ledger.orderHash { mismatch = true }
                if firstHash == nil { firstHash = ledger.orderHash }
            }
            if mismatch { orderMismatchRooms += 1 }
        }
        lost = max(0, expected - delivered)
        latency = (
            histogram.quantileMilliseconds(0.50), histogram.quantileMilliseconds(0.90),
            histogram.quantileMilliseconds(0.99), histogram.quantileMilliseconds(0.999), histogram.maxMilliseconds
        )
    }
}
