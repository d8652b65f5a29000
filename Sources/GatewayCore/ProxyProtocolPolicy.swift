/// Which connections start with a PROXY protocol header (`-proxy-protocol`,
/// `-trusted-proxies`): those whose peer is a listed proxy, and only those.
/// The header is never guessed at (proxy-protocol.txt §5: a client allowed
/// to send one could pose as any address); everyone else is a plain client.
public struct ProxyProtocolPolicy: Sendable, Equatable {
    /// The proxies' addresses and blocks.
    public var trustedProxies: [IPNetwork]
    /// The proxies put a PROXY header first on this gateway. False without
    /// `-proxy-protocol` for this kind of gateway (e.g. `=tcp` seen from the
    /// WebSocket gateway): such a proxy (nginx's HTTP proxy, which cannot
    /// send the header) stands for many clients it cannot name, so its
    /// connections are not limited per address (limit them at the proxy).
    public var expectsHeaders: Bool

    public init(trustedProxies: [IPNetwork], expectsHeaders: Bool = true) {
        self.trustedProxies = trustedProxies
        self.expectsHeaders = expectsHeaders
    }

    /// Whether `peer` is one of the trusted proxies.
    public func isTrustedProxy(_ peer: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(peer) }
    }

    /// Whether a connection from `peer` must begin with a PROXY header.
    public func expectsHeader(from peer: IPAddress) -> Bool {
        expectsHeaders && isTrustedProxy(peer)
    }

    /// A flag combination that cannot be used, with what to do instead.
    public struct FlagError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The policy for one kind of gateway from the flags' values: nil when
    /// no proxy is trusted. `enabled` is `-proxy-protocol`'s value: `true`
    /// (both gateways), `tcp` or `ws` (that kind only), or `false`/empty;
    /// `trusted` is `-trusted-proxies`. Trusted proxies on a gateway whose
    /// PROXY protocol is off send no header (`expectsHeaders` false).
    public static func fromFlags(
        enabled: String, trusted: String, webSocket: Bool
    ) -> Result<ProxyProtocolPolicy?, FlagError> {
        let kinds: (tcp: Bool, ws: Bool)
        switch enabled.lowercased() {
        case "", "false", "0", "no": kinds = (false, false)
        case "true", "1", "yes": kinds = (true, true)
        case "tcp": kinds = (true, false)
        case "ws": kinds = (false, true)
        default:
            return .failure(
                FlagError(
                    description: "-proxy-protocol takes no value, or =tcp or =ws for one kind of gateway; got \"\(enabled)\""))
        }
        var networks: [IPNetwork] = []
        for item in trusted.split(separator: ",") {
            let text = String(item).trimmingSpaces()
            guard !text.isEmpty else { continue }
            switch IPNetwork.parse(text) {
            case .success(let network): networks.append(network)
            case .failure(let error): return .failure(FlagError(description: "-trusted-proxies: \(error)"))
            }
        }
        let on = kinds.tcp || kinds.ws
        if on && networks.isEmpty {
            return .failure(
                FlagError(
                    description:
                        "-proxy-protocol needs -trusted-proxies: the addresses or CIDR blocks of the proxies in front (e.g. -trusted-proxies 127.0.0.1,10.0.0.0/8); a PROXY header from anyone else would let them pose as any address"
                ))
        }
        guard !networks.isEmpty else { return .success(nil) }
        return .success(ProxyProtocolPolicy(trustedProxies: networks, expectsHeaders: webSocket ? kinds.ws : kinds.tcp))
    }
}
