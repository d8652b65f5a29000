import Testing

@testable import GatewayCore

private func ip(_ text: String) -> IPAddress { IPAddress.parse(text)! }

private let second: UInt64 = 1_000_000_000

private func table(
    connections: Int = 3, joinsPerSecond: Double = 2, burst: Double = 4, capacity: Int = 100
) -> ClientAddressTable {
    ClientAddressTable(
        settings: .init(maxConnections: connections, joinsPerSecond: joinsPerSecond, joinBurst: burst, capacity: capacity))
}

@Suite("Per-address limits")
struct ClientAddressTableTests {
    @Test func connectionsPastTheLimitAreRefusedAndOneEpisodeIsReportedOnce() {
        var limits = table(connections: 2)
        let client = ip("203.0.113.7")
        #expect(limits.openConnection(from: client, now: 0) == .admitted)
        #expect(limits.openConnection(from: client, now: 0) == .admitted)
        #expect(limits.openConnection(from: client, now: 0) == .refused(startsEpisode: true))
        #expect(limits.openConnection(from: client, now: 0) == .refused(startsEpisode: false))
        // Another address is not affected.
        #expect(limits.openConnection(from: ip("203.0.113.8"), now: 0) == .admitted)
        // A freed slot is taken again, which ends the episode.
        limits.closeConnection(from: client, now: 1)
        #expect(limits.openConnection(from: client, now: 1) == .admitted)
        #expect(limits.openConnection(from: client, now: 1) == .refused(startsEpisode: true))
        #expect(limits.connections(of: client) == 2)
    }

    @Test func joinsFollowATokenBucketPerAddress() {
        var limits = table(joinsPerSecond: 2, burst: 4)
        let client = ip("198.51.100.1")
        _ = limits.openConnection(from: client, now: 0)
        for _ in 0..<4 { #expect(limits.join(from: client, now: 0) == .admitted) }
        #expect(limits.join(from: client, now: 0) == .refused(startsEpisode: true))
        #expect(limits.join(from: client, now: second / 4) == .refused(startsEpisode: false))
        // Half a second at 2/s gives one token back.
        #expect(limits.join(from: client, now: second / 2) == .admitted)
        #expect(limits.join(from: client, now: second / 2) == .refused(startsEpisode: true))
        // The bucket never holds more than the burst.
        #expect(limits.join(from: ip("198.51.100.2"), now: 100 * second) == .admitted)
        for _ in 0..<4 { _ = limits.join(from: client, now: 100 * second) }
        #expect(limits.join(from: client, now: 100 * second) == .refused(startsEpisode: true))
    }

    @Test func ipv6ClientsOfOneSlash64ShareTheirLimits() {
        var limits = table(connections: 2)
        #expect(limits.openConnection(from: ip("2001:db8:1:2::1"), now: 0) == .admitted)
        #expect(limits.openConnection(from: ip("2001:db8:1:2::2"), now: 0) == .admitted)
        #expect(limits.openConnection(from: ip("2001:db8:1:2:ffff::9"), now: 0) == .refused(startsEpisode: true))
        #expect(limits.openConnection(from: ip("2001:db8:1:3::1"), now: 0) == .admitted)
    }

    @Test func anAddressIsForgottenOnceItHasNoConnectionAndAFullBucket() {
        var limits = table(joinsPerSecond: 2, burst: 4)
        let client = ip("192.0.2.1")
        _ = limits.openConnection(from: client, now: 0)
        limits.closeConnection(from: client, now: 0)
        #expect(limits.count == 0, "no join spent: forgotten at once")

        _ = limits.openConnection(from: client, now: 0)
        _ = limits.join(from: client, now: 0)
        _ = limits.join(from: client, now: 0)
        limits.closeConnection(from: client, now: 0)
        #expect(limits.count == 1 && limits.idleCount == 1, "two tokens to refill")
        limits.sweep(now: second / 2)
        #expect(limits.count == 1)
        limits.sweep(now: second)
        #expect(limits.count == 0 && limits.idleCount == 0)

        // Without a join limit nothing is kept once the last connection closes.
        var connectionsOnly = table(joinsPerSecond: 0, burst: 0)
        _ = connectionsOnly.openConnection(from: client, now: 0)
        #expect(connectionsOnly.join(from: client, now: 0) == .admitted)
        connectionsOnly.closeConnection(from: client, now: 0)
        #expect(connectionsOnly.count == 0)
    }

    @Test func theTableStaysBoundedWhenSourceAddressesCycle() {
        var limits = table(connections: 5, joinsPerSecond: 1, burst: 10, capacity: 1000)
        // Clients that connect, join once and leave, from 20,000 addresses.
        for index in 0..<20_000 {
            let client = IPAddress(ipv4: 0x0A00_0000 | UInt32(index))
            let now = UInt64(index) * 1000
            #expect(limits.openConnection(from: client, now: now) == .admitted)
            #expect(limits.join(from: client, now: now) == .admitted)
            limits.closeConnection(from: client, now: now)
            #expect(limits.count <= 1000)
        }
        // Addresses that hold connections are never dropped to make room.
        var holding = table(connections: 5, joinsPerSecond: 1, burst: 10, capacity: 100)
        for index in 0..<50 { _ = holding.openConnection(from: IPAddress(ipv4: UInt32(index)), now: 0) }
        for index in 0..<5000 {
            let client = IPAddress(ipv4: 0x0B00_0000 | UInt32(index))
            _ = holding.openConnection(from: client, now: 0)
            _ = holding.join(from: client, now: 0)
            holding.closeConnection(from: client, now: 0)
        }
        #expect(holding.count <= 100)
        for index in 0..<50 { #expect(holding.connections(of: IPAddress(ipv4: UInt32(index))) == 1) }
    }

    @Test func zeroTurnsEachLimitOff() {
        var noConnectionLimit = table(connections: 0)
        for _ in 0..<10_000 { #expect(noConnectionLimit.openConnection(from: ip("192.0.2.9"), now: 0) == .admitted) }
        var noJoinLimit = table(joinsPerSecond: 0, burst: 5)
        _ = noJoinLimit.openConnection(from: ip("192.0.2.9"), now: 0)
        for _ in 0..<10_000 { #expect(noJoinLimit.join(from: ip("192.0.2.9"), now: 0) == .admitted) }
        #expect(ClientAddressTable.Settings(maxConnections: 0, joinsPerSecond: 5, joinBurst: 0, capacity: 1).isOff)
    }

    @Test func theDefaultsLetTheBenchmarksConnect() {
        // 10,000 clients from 4 loopback addresses within a second: 2,500 each.
        let defaults = GatewayLimits()
        var limits = ClientAddressTable(
            settings: .init(
                maxConnections: defaults.maxConnectionsPerAddress, joinsPerSecond: defaults.joinsPerAddressPerSecond,
                joinBurst: defaults.joinBurstPerAddress, capacity: defaults.maxTrackedAddresses))
        for index in 0..<10_000 {
            let client = IPAddress(ipv4: 0x7F00_0001 + UInt32(index % 4))
            let now = UInt64(index) * (second / 10_000)
            #expect(limits.openConnection(from: client, now: now) == .admitted)
            #expect(limits.join(from: client, now: now) == .admitted)
        }
    }

    @Test func ratesAndProxyFlagsParseOrSayWhatIsWrong() {
        #expect(GatewayCommand.parseRate("1000/s") == 1000)
        #expect(GatewayCommand.parseRate("1000") == 1000)
        #expect(GatewayCommand.parseRate("600/m") == 10)
        #expect(GatewayCommand.parseRate("36/h") == 0.01)
        #expect(GatewayCommand.parseRate("0") == 0)
        for bad in ["", "/s", "10/", "10/d", "-1/s", "1.5/s", "ten", "10 /s"] {
            #expect(GatewayCommand.parseRate(bad) == nil, "\(bad)")
        }
        let trusted = "127.0.0.1, 10.0.0.0/8,2001:db8::/32"
        /// The policy for one gateway kind, or nil for an error (which the next cases check).
        func policy(_ enabled: String, _ list: String, webSocket: Bool) -> ProxyProtocolPolicy?? {
            try? ProxyProtocolPolicy.fromFlags(enabled: enabled, trusted: list, webSocket: webSocket).get()
        }
        let both = policy("true", trusted, webSocket: true)
        #expect(both??.trustedProxies.count == 3)
        #expect(both??.expectsHeader(from: ip("10.9.8.7")) == true)
        #expect(both??.expectsHeader(from: ip("127.0.0.2")) == false)
        // =tcp: the WebSocket gateway expects no header, but knows its proxies.
        let webSide = policy("tcp", trusted, webSocket: true)
        #expect(webSide??.expectsHeader(from: ip("127.0.0.1")) == false)
        #expect(webSide??.isTrustedProxy(ip("127.0.0.1")) == true)
        #expect(policy("tcp", trusted, webSocket: false)??.expectsHeader(from: ip("127.0.0.1")) == true)
        #expect(policy("ws", trusted, webSocket: false)??.expectsHeaders == false)
        #expect(policy("ws", trusted, webSocket: true)??.expectsHeaders == true)
        #expect(policy("", "", webSocket: false) == .some(.none))
        // Trusted proxies without the header: known, not limited, no header read.
        #expect(policy("", "127.0.0.1", webSocket: true)??.expectsHeaders == false)
        #expect(policy("false", "127.0.0.1", webSocket: false)??.isTrustedProxy(ip("127.0.0.1")) == true)
        for (enabled, list, needle) in [
            ("true", "", "-proxy-protocol needs -trusted-proxies"),
            ("true", "127.0.0.1,localhost", "\"localhost\" is not an IP address"),
            ("udp", "127.0.0.1", "-proxy-protocol takes no value, or =tcp or =ws"),
        ] {
            guard case .failure(let error) = ProxyProtocolPolicy.fromFlags(enabled: enabled, trusted: list, webSocket: false)
            else {
                Issue.record("\(enabled) \(list) was accepted")
                continue
            }
            #expect(error.description.contains(needle), "\(error)")
        }
    }
}
