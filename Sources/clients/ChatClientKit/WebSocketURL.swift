/// A `ws://host:port/path` address, or a bare `host:port` meaning the
/// default chat path.
public struct WebSocketURL: Equatable, Sendable {
    public var hostPort: String
    public var path: String

    public init?(_ text: String, defaultPath: String = "/mychat") {
        var rest = Substring(text)
        if rest.hasPrefix("ws://") {
            rest = rest.dropFirst(5)
        } else if rest.contains("://") {
            return nil  // wss:// and others: TLS is not part of MaChat
        }
        if let slash = rest.firstIndex(of: "/") {
            hostPort = String(rest[..<slash])
            path = String(rest[slash...])
        } else {
            hostPort = String(rest)
            path = defaultPath
        }
        if !hostPort.contains(":") { hostPort += ":80" }
        if hostPort.hasPrefix(":") { hostPort = "localhost" + hostPort }
    }
}
