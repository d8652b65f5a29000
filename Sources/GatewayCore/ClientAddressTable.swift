/// The per-address abuse limits of one gateway: how many connections each
/// client address holds, and a token bucket on its joins. Addresses are
/// counted by `IPAddress.limitKey` (IPv4 address, IPv6 /64).
///
/// Memory stays bounded: an address is forgotten as soon as it holds no
/// connection and its bucket is full again (it would start from a full
/// bucket anyway), and the table holds at most `capacity` addresses without
/// connections: past that, the idle ones nearest to being forgotten (the
/// fullest buckets) go first. Addresses with connections are never dropped
/// (their counts must come back down); there are at most `-max-connections`
/// of them. A value type with the time passed in, so tests drive it directly.
struct ClientAddressTable {
    /// The limits; 0 turns one off.
    struct Settings: Equatable {
        /// Connections one address may hold (`-max-connections-per-ip`).
        var maxConnections: Int
        /// Sustained joins per second (`-joins-per-ip`).
        var joinsPerSecond: Double
        /// Joins at once above the rate (`-join-burst-per-ip`).
        var joinBurst: Double
        /// Most addresses remembered (see the type's comment).
        var capacity: Int

        var limitsConnections: Bool { maxConnections > 0 }
        var limitsJoins: Bool { joinsPerSecond > 0 && joinBurst > 0 }
        var isOff: Bool { !limitsConnections && !limitsJoins }
    }

    /// What the table says to a connection or a join.
    enum Admission: Equatable {
        case admitted
        /// Refused; `startsEpisode` is true for the first refusal since the
        /// address was last admitted (the one to log).
        case refused(startsEpisode: Bool)
    }

    private struct Entry {
        var connections: Int32 = 0
        var refusingConnections = false
        var refusingJoins = false
        /// Join tokens at `updated` (nanoseconds, monotonic).
        var tokens: Double
        var updated: UInt64
    }

    let settings: Settings
    private var entries: [IPAddress: Entry] = [:]
    /// Entries holding no connection (kept only while their bucket refills).
    private(set) var idleCount = 0

    init(settings: Settings) {
        self.settings = settings
    }

    /// Addresses remembered now.
    var count: Int { entries.count }

    /// Connections `address` holds now.
    func connections(of address: IPAddress) -> Int {
        Int(entries[address.limitKey]?.connections ?? 0)
    }

    /// A new connection from `address`: admitted (and counted) or refused.
    mutating func openConnection(from address: IPAddress, now: UInt64) -> Admission {
        let key = address.limitKey
        guard var entry = entries[key] else {
            if entries.count >= settings.capacity { makeRoom(now: now) }
            entries[key] = Entry(connections: 1, tokens: settings.joinBurst, updated: now)
            return .admitted
        }
        if settings.limitsConnections && Int(entry.connections) >= settings.maxConnections {
            let starts = !entry.refusingConnections
            entry.refusingConnections = true
            entries[key] = entry
            return .refused(startsEpisode: starts)
        }
        if entry.connections == 0 { idleCount -= 1 }
        entry.connections += 1
        entry.refusingConnections = false
        entries[key] = entry
        return .admitted
    }

    /// A counted connection from `address` closed.
    mutating func closeConnection(from address: IPAddress, now: UInt64) {
        let key = address.limitKey
        guard var entry = entries[key], entry.connections > 0 else { return }
        entry.connections -= 1
        if entry.connections == 0 {
            if isForgettable(entry, now: now) {
                entries[key] = nil
                return
            }
            idleCount += 1
        }
        entries[key] = entry
    }

    /// A join from `address` (which holds a counted connection): spends a
    /// token, or is refused when the bucket is empty.
    mutating func join(from address: IPAddress, now: UInt64) -> Admission {
        guard settings.limitsJoins else { return .admitted }
        let key = address.limitKey
        var entry = entries[key] ?? Entry(tokens: settings.joinBurst, updated: now)
        if entries[key] == nil {
            if entries.count >= settings.capacity { makeRoom(now: now) }
            idleCount += 1
        }
        refill(&entry, now: now)
        let admission: Admission
        if entry.tokens >= 1 {
            entry.tokens -= 1
            entry.refusingJoins = false
            admission = .admitted
        } else {
            admission = .refused(startsEpisode: !entry.refusingJoins)
            entry.refusingJoins = true
        }
        entries[key] = entry
        return admission
    }

    /// Forgets every address with no connection whose bucket is full again;
    /// the owner calls it about once a second while `idleCount > 0`.
    mutating func sweep(now: UInt64) {
        guard idleCount > 0 else { return }
        entries = entries.filter { !isForgettable($0.value, now: now) }
        idleCount = entries.values.reduce(0) { $0 + ($1.connections == 0 ? 1 : 0) }
    }

    // MARK: Internals

    private func refill(_ entry: inout Entry, now: UInt64) {
        guard now > entry.updated else { return }
        entry.tokens = min(settings.joinBurst, entry.tokens + Double(now - entry.updated) / 1e9 * settings.joinsPerSecond)
        entry.updated = now
    }

    private func isForgettable(_ entry: Entry, now: UInt64) -> Bool {
        guard entry.connections == 0 else { return false }
        guard settings.limitsJoins else { return true }
        var refilled = entry
        refill(&refilled, now: now)
        return refilled.tokens >= settings.joinBurst
    }

    /// The table is at capacity: forget what can be forgotten, then, if
    /// that freed less than a tenth, the idle addresses with the fullest
    /// buckets (the least recently active) until a tenth is free. Runs at
    /// most once per capacity/10 new addresses, so its cost is spread thin.
    private mutating func makeRoom(now: UInt64) {
        sweep(now: now)
        let target = settings.capacity - max(1, settings.capacity / 10)
        guard entries.count > target else { return }
        var idle: [(tokens: Double, key: IPAddress)] = []
        for (key, entry) in entries where entry.connections == 0 {
            var refilled = entry
            refill(&refilled, now: now)
            idle.append((refilled.tokens, key))
        }
        idle.sort { $0.tokens > $1.tokens }
        for (_, key) in idle.prefix(entries.count - target) {
            entries[key] = nil
            idleCount -= 1
        }
    }
}
