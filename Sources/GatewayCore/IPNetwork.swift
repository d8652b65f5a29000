/// A block of addresses in CIDR notation (RFC 4632 §3.1; RFC 4291 §2.3):
/// `10.0.0.0/8`, `2001:db8::/32`, or a single address (`127.0.0.1`, `::1`).
/// IPv4 blocks match IPv4 clients whether they arrive on an IPv4 or a
/// dual-stack (IPv4-mapped) socket.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block.
    public let address: IPAddress
    /// Leading bits that must match, counted in the 128-bit form (an IPv4
    /// `/8` is 96 + 8).
    let prefixLength: Int

    /// A block from an address and a prefix length in the 128-bit form;
    /// bits after the prefix are cleared.
    init(address: IPAddress, prefixLength: Int) {
        self.address = address.masked(toPrefix: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` lies in the block.
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.masked(toPrefix: prefixLength) == address
    }

    /// `10.0.0.0/8`, `2001:db8::/32`; a single address without a suffix.
    public var description: String {
        let isIPv4 = address.isIPv4 && prefixLength >= 96
        let bits = isIPv4 ? prefixLength - 96 : prefixLength
        if bits == (isIPv4 ? 32 : 128) { return address.description }
        return "\(address)/\(bits)"
    }

    /// Why a text is not a network.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidAddress(String)
        case invalidPrefix(String)
        /// Bits after the prefix were set: `10.0.0.1/8` is probably a typo
        /// for `10.0.0.0/8` (or `10.0.0.1`), and guessing which is unsafe
        /// in a list of trusted peers.
        case hostBitsSet(String, suggestion: String)

        public var description: String {
            switch self {
            case .invalidAddress(let text):
                return "\"\(text)\" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32)"
            case .invalidPrefix(let text):
                return "\"\(text)\" has an invalid prefix length (0-32 for IPv4, 0-128 for IPv6)"
            case .hostBitsSet(let text, let suggestion):
                return "\"\(text)\" has bits set after its prefix; did you mean \(suggestion)?"
            }
        }
    }

    /// Parses `address` or `address/length`.
    public static func parse(_ text: String) -> Result<IPNetwork, ParseError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress.parse(parts[0].utf8) else { return .failure(.invalidAddress(text)) }
        let isIPv4 = address.isIPv4 && IPAddress.parseIPv4(Array(parts[0].utf8)[...]) != nil
        let maximum = isIPv4 ? 32 : 128
        var bits = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(digits), value <= maximum, digits.count == 1 || digits.first != "0"
            else { return .failure(.invalidPrefix(text)) }
            bits = value
        }
        let network = IPNetwork(address: address, prefixLength: isIPv4 ? 96 + bits : bits)
        guard network.address == address else { return .failure(.hostBitsSet(text, suggestion: network.description)) }
        return .success(network)
    }
}
