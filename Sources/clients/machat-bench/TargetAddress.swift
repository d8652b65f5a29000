@preconcurrency import Glibc
import Reactor

/// An IPv4 loopback address the bench may connect to. The bench refuses any
/// other target: it opens thousands of connections and floods them, which is
/// only acceptable against a server on this machine.
struct TargetAddress {
    /// The raw address for connect(2).
    let socketAddress: sockaddr_in
    /// `127.0.0.1:8989`, for reports and the WebSocket `Host` header.
    let text: String

    /// Resolves `hostPort` (a name such as `localhost` is allowed) and keeps its
    /// IPv4 loopback address, or explains why it cannot be used.
    static func resolve(_ hostPort: String) -> Result<TargetAddress, TargetError> {
        let candidates: [SocketAddress]
        do {
            candidates = try SocketAddress.resolve(hostPort)
        } catch {
            return .failure(TargetError(message: "\(error)"))
        }
        // SocketAddress keeps its sockaddr private; its text form is numeric.
        guard let v4 = candidates.first(where: { !$0.description.hasPrefix("[") }) else {
            return .failure(TargetError(message: "\(hostPort) has no IPv4 address; only 127.0.0.0/8 targets are allowed"))
        }
        guard v4.isLoopback else {
            return .failure(TargetError(message: "refusing to connect to \(v4): only 127.0.0.0/8 targets are allowed"))
        }
        let host = String(v4.description.prefix { $0 != ":" })
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = v4.port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            return .failure(TargetError(message: "cannot parse \(v4)"))
        }
        return .success(TargetAddress(socketAddress: address, text: v4.description))
    }

    /// `127.0.0.<n>` with port 0, a source address to bind to.
    static func loopbackSource(_ n: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = (UInt32(127) << 24 | UInt32(n)).bigEndian
        return address
    }
}

/// A target the bench will not use.
struct TargetError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
