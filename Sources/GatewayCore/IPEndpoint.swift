import Reactor

/// An IP address and a TCP port: where a client connected from.
public struct IPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// The endpoint of a socket address; nil for a family other than IP.
    public init?(_ socketAddress: SocketAddress) {
        guard let address = socketAddress.withIPAddressBytes({ IPAddress(bytes: $0) }) ?? nil else { return nil }
        self.init(address: address, port: socketAddress.port)
    }

    /// `203.0.113.7:40000` or `[2001:db8::1]:40000`, as logs show it.
    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}
