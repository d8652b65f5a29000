/// WebSocket gateway settings (`machat-ws-gateway` flags).
public struct WebSocketOptions: Sendable {
    /// The chat endpoint's path (`-path`, default `/mychat`).
    public var path = "/mychat"
    /// Browser origins accepted besides those whose host matches `Host`
    /// (`-origins`, comma-separated, e.g. `https://chat.example.com`).
    public var allowedOrigins: [String] = []
    /// A plain echo endpoint for the Autobahn conformance suite (`-echo-path`); off when nil.
    public var echoPath: String?
    /// Idle connections are pinged this often; one that has not answered by
    /// the next round is closed (dead-peer detection).
    public var pingIntervalMilliseconds = 30_000
    /// Largest chat message (all fragments), in bytes.
    public var maxMessageBytes = 1 << 20
    /// Largest echo message; Autobahn sends up to 16 MiB.
    public var maxEchoMessageBytes = 32 << 20
    /// Largest HTTP request head: room for a browser's cookies on a shared host.
    public var maxHeadBytes = 16384
    /// Serve the browser chat page at `/` (`-web`, default on).
    public var servesWebPage = true

    public init() {}

    /// Whether a browser `Origin` may connect: same host as the `Host` header,
    /// or listed in `allowedOrigins` (RFC 6455 §10.2: the server decides).
    public func allows(origin: String, host: String?) -> Bool {
        let origin = origin.lowercased()
        if allowedOrigins.contains(where: { $0.lowercased() == origin || $0 == "*" }) { return true }
        guard let host = host?.lowercased() else { return false }
        var rest = Substring(origin)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        return String(rest) == host || Self.stripDefaultPort(String(rest), origin) == Self.stripDefaultPort(host, origin)
    }

    /// `example.com:80` and `example.com` name the same origin for http.
    private static func stripDefaultPort(_ hostPort: String, _ origin: String) -> String {
        let port = origin.hasPrefix("https") ? ":443" : ":80"
        return hostPort.hasSuffix(port) ? String(hostPort.dropLast(port.count)) : hostPort
    }
}
