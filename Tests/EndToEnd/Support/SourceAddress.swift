@preconcurrency import Glibc
import Reactor

/// Connections from a chosen loopback source address: all of 127.0.0.0/8 is
/// the loopback interface on Linux, so a test can be "another client
/// address" (127.0.0.2, …) without any network.
enum SourceAddress {
    /// A connected (blocking) TCP socket to 127.0.0.1:`port` bound first to
    /// `source` (an IPv4 loopback address).
    static func connect(to port: UInt16, from source: String) throws -> FileDescriptor {
        let raw = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard raw >= 0 else { throw HarnessError(description: "socket: errno \(errno)") }
        func address(_ host: String, _ port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            return address
        }
        var local = address(source, 0)
        var remote = address("127.0.0.1", port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected =
            bound == 0
            && withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            } == 0
        guard connected else {
            let error = errno
            close(raw)
            throw HarnessError(description: "connect from \(source) to port \(port): errno \(error)")
        }
        let fd = FileDescriptor(rawValue: raw)
        Socket.setNoDelay(fd)
        return fd
    }

    /// The local port of a connected socket (what a PROXY header or a log
    /// line should show for it).
    static func localPort(of fd: FileDescriptor) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

extension LineClient {
    /// A raw client of 127.0.0.1:`port` connecting from `source`.
    convenience init(port: UInt16, from source: String) throws {
        self.init(connected: try SourceAddress.connect(to: port, from: source))
    }
}
