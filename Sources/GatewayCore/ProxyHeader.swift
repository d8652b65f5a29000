/// What a PROXY protocol header said (haproxy's proxy-protocol.txt, versions
/// 1 and 2): where the client really connected from, or that the
/// connection's own endpoints stand.
public struct ProxyHeader: Equatable, Sendable {
    /// Which of the two formats the header used.
    public enum Version: Int, Sendable {
        /// The text line `PROXY TCP4 …\r\n` (§2.1).
        case one = 1
        /// The binary block after the 12-byte signature (§2.2).
        case two = 2
    }

    public var version: Version
    /// The original client (the header's source address and port); nil when
    /// the receiver must keep the connection's own peer: v1 `UNKNOWN`, v2
    /// `LOCAL` (a health check from the proxy itself), or a v2 family other
    /// than TCP over IPv4/IPv6 (§2.2: fall back to UNSPEC).
    public var source: IPEndpoint?
    /// The address the client connected to (the proxy's listening address).
    public var destination: IPEndpoint?
    /// Bytes of the header on the wire, CRLF and TLVs included.
    public var length: Int

    public init(version: Version, source: IPEndpoint?, destination: IPEndpoint?, length: Int) {
        self.version = version
        self.source = source
        self.destination = destination
        self.length = length
    }
}
