/// Every bound a gateway enforces, with the defaults documented in the README.
public struct GatewayLimits: Sendable {
    /// Longest name, in UTF-8 bytes.
    public var maxNameBytes = 64
    /// Longest room name, in UTF-8 bytes.
    public var maxRoomBytes = 64
    /// Longest line (TCP) or message line (WebSocket), in bytes without the
    /// newline: the seed's `bufio.Scanner` limit.
    public var maxLineBytes = 64 * 1024
    /// Largest join object, in bytes.
    public var maxJoinBytes = 4096
    /// Unsent bytes to one client past which it is disconnected as a slow consumer.
    public var outboundBytesPerConnection = 4 << 20
    /// Connections one gateway process holds; more are refused with an error.
    public var maxConnections = 19_000
    /// A connection that has not completed its join by then is closed.
    public var joinTimeoutMilliseconds = 10_000
    /// WebSocket: the HTTP upgrade must complete within this time.
    public var handshakeTimeoutMilliseconds = 10_000
    /// Lines held for one client while the router is away.
    public var heldBytesPerConnection = 256 * 1024
    /// Lines held for the whole gateway while the router is away (and
    /// unacknowledged lines in general).
    public var heldBytesPerGateway = 64 << 20
    /// Sustained lines per second one client may send (token bucket refill);
    /// 0 turns the limit off. Far above any person's typing or a busy bot,
    /// and a small share of what one gateway relays (millions of deliveries
    /// per second), so one client cannot take a gateway over.
    public var linesPerSecond = 20_000.0
    /// Burst a client may send above the sustained rate.
    public var lineBurst = 40_000.0
    /// How long a draining gateway waits for clients to take their last bytes.
    public var drainMilliseconds = 5000
    /// Lines of history sent on join to clients that did not ask for any
    /// (`-default-history`), so seed clients can be given scrollback.
    public var defaultHistory = 0
    /// Connections one client address (IPv6: one /64) may hold on this
    /// gateway (`-max-connections-per-ip`); 0 turns it off. Far above a
    /// NAT'ed office, and the benchmarks' 2,500 per loopback address.
    public var maxConnectionsPerAddress = 5000
    /// Sustained joins per second one client address may make
    /// (`-joins-per-ip`); 0 turns the join limit off.
    public var joinsPerAddressPerSecond = 1000.0
    /// Joins one client address may make at once above that rate
    /// (`-join-burst-per-ip`); 0 turns the join limit off.
    public var joinBurstPerAddress = 5000.0
    /// Most client addresses the per-address table remembers without a
    /// connection (about 50 bytes each): an attacker cycling through source
    /// addresses cannot grow it further.
    public var maxTrackedAddresses = 100_000

    public init() {}
}
