@preconcurrency import Glibc
import CLinux

/// An IPv4 or IPv6 socket address, parsed from `host:port` or `[v6]:port`.
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// The raw sockaddr bytes (sockaddr_in or sockaddr_in6).
    var storage: sockaddr_storage
    var length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Resolves `host:port` (numeric or a name such as `localhost`; an empty
    /// host means all interfaces). IPv4 results come first, so `localhost`
    /// binds 127.0.0.1 like the seed did.
    public static func resolve(_ hostPort: String, passive: Bool = false) throws(AddressError) -> [SocketAddress] {
        guard let (host, port) = split(hostPort) else { throw AddressError.invalid(hostPort, "expected host:port") }
        guard let portNumber = UInt16(port) else { throw AddressError.invalid(hostPort, "port must be 0-65535") }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(portNumber), &hints, &result)
        guard status == 0, let first = result else {
            throw AddressError.invalid(hostPort, String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var v4: [SocketAddress] = []
        var v6: [SocketAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
            }
            let address = SocketAddress(storage: storage, length: info.pointee.ai_addrlen)
            if info.pointee.ai_family == AF_INET {
                v4.append(address)
            } else if info.pointee.ai_family == AF_INET6 {
                v6.append(address)
            }
            node = info.pointee.ai_next
        }
        if v4.isEmpty && v6.isEmpty { throw AddressError.invalid(hostPort, "no IPv4 or IPv6 address") }
        return v4 + v6
    }

    /// Splits `host:port`, `[v6]:port` or `:port`.
    static func split(_ text: String) -> (String, String)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (host, String(rest.dropFirst()))
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// The port number.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET {
                return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
            }
            return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
        }
    }

    /// Calls `body` with the IP address's bytes in network order (4 for
    /// IPv4, 16 for IPv6); nil for another family.
    public func withIPAddressBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                let offset = MemoryLayout<sockaddr_in>.offset(of: \sockaddr_in.sin_addr)!
                return body(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4)]))
            case AF_INET6:
                let offset = MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!
                return body(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 16)]))
            default:
                return nil
            }
        }
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET {
                return UInt32(bigEndian: raw.load(as: sockaddr_in.self).sin_addr.s_addr) >> 24 == 127
            }
            var addr = raw.load(as: sockaddr_in6.self).sin6_addr
            return withUnsafeBytes(of: &addr) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
    }

    /// `127.0.0.1:8989` or `[::1]:8989`.
    public var description: String {
        var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var copy = storage
        let family = self.family
        withUnsafeMutableBytes(of: &copy) { raw in
            if family == AF_INET {
                var addr = raw.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &addr, &host, socklen_t(host.count))
            } else {
                var addr = raw.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &addr, &host, socklen_t(host.count))
            }
        }
        let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(text)]:\(port)" : "\(text):\(port)"
    }
}

/// A `host:port` that could not be used.
public enum AddressError: Error, CustomStringConvertible, Sendable {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let text, let why): return "invalid address \"\(text)\": \(why)"
        }
    }
}
