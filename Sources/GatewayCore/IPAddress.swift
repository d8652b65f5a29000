/// An IPv4 or IPv6 address as a 16-byte value: IPv4 is kept in its
/// IPv4-mapped IPv6 form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), so an IPv4
/// client reaching a dual-stack socket and the same client on an IPv4
/// socket are one address. No Foundation, no allocation.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The first and last 8 bytes of the IPv6 form, big-endian.
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32 bits (`a.b.c.d` is `a << 24 | …`).
    public init(ipv4 bits: UInt32) {
        self.init(high: 0, low: 0xffff_0000_0000 | UInt64(bits))
    }

    /// An address from 4 (IPv4) or 16 (IPv6) bytes in network order; nil for
    /// another count.
    public init?(bytes: some Collection<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            for (index, byte) in bytes.enumerated() {
                if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            }
            self.init(high: high, low: low)
        default:
            return nil
        }
    }

    /// True for an IPv4 address (also one that arrived IPv4-mapped).
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    /// The 32 bits of an IPv4 address (meaningful only when `isIPv4`).
    public var ipv4Bits: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// What the per-address limits count under: an IPv4 address itself, an
    /// IPv6 address's /64. One subscriber (a home, an office, a phone) gets a
    /// whole /64 (RFC 6177) and a host may pick any address in it at will
    /// (RFC 8981), so counting single IPv6 addresses would not limit anyone.
    public var limitKey: IPAddress {
        isIPv4 ? self : IPAddress(high: high, low: 0)
    }

    /// The address with only its first `prefixLength` bits (of 128) kept.
    func masked(toPrefix prefixLength: Int) -> IPAddress {
        let length = max(0, min(128, prefixLength))
        let highMask: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : .max << (64 - length))
        let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? .max : .max << (128 - length))
        return IPAddress(high: high & highMask, low: low & lowMask)
    }

    /// `203.0.113.7` or `2001:db8::1` (RFC 5952: lowercase, no leading
    /// zeros, the longest run of two or more zero groups as `::`).
    public var description: String {
        if isIPv4 {
            let bits = ipv4Bits
            return "\(bits >> 24).\(bits >> 16 & 0xff).\(bits >> 8 & 0xff).\(bits & 0xff)"
        }
        let groups = (0..<8).map { index -> UInt16 in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (UInt64(3 - index % 4) * 16))
        }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// Parses the text form: dotted IPv4 (four decimal numbers 0-255, no
    /// leading zeros: `010` could mean octal) or IPv6 (RFC 4291 §2.2: groups
    /// of 1-4 hex digits, at most one `::`, optionally a dotted IPv4 tail).
    /// Nil for anything else, including zone ids and surrounding spaces.
    public static func parse(_ text: some Collection<UInt8>) -> IPAddress? {
        let bytes = Array(text)
        if let bits = parseIPv4(bytes[...]) { return IPAddress(ipv4: bits) }
        return parseIPv6(bytes[...])
    }

    /// `parse` for a `String`.
    public static func parse(_ text: String) -> IPAddress? {
        parse(text.utf8)
    }

    /// Parses only the IPv4 form (PROXY v1 `TCP4` lines must use it).
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var bits: UInt32 = 0
        var parts = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard parts < 4 else { return nil }
            var value = 0
            let start = index
            while index < bytes.endIndex, let digit = decimalDigit(bytes[index]) {
                value = value * 10 + digit
                index += 1
                guard index - start <= 3, value <= 255 else { return nil }
            }
            let length = index - start
            guard length > 0, length == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            bits = bits << 8 | UInt32(value)
            parts += 1
            if index < bytes.endIndex {
                guard bytes[index] == UInt8(ascii: "."), parts < 4 else { return nil }
                index += 1
                guard index < bytes.endIndex else { return nil }
            }
        }
        return parts == 4 ? bits : nil
    }

    /// Parses only the IPv6 form (PROXY v1 `TCP6` lines must use it).
    static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var index = bytes.startIndex
        let colon = UInt8(ascii: ":")
        if bytes[index] == colon {
            // A leading colon is only the start of "::".
            guard bytes[index + 1] == colon else { return nil }
            sawGap = true
            index += 2
        }
        while index < bytes.endIndex {
            let start = index
            var value = 0
            while index < bytes.endIndex, let digit = hexDigit(bytes[index]) {
                value = value << 4 | digit
                index += 1
                guard index - start <= 4 else { return nil }
            }
            if index < bytes.endIndex && bytes[index] == UInt8(ascii: ".") {
                // A dotted IPv4 tail: the last 32 bits (RFC 4291 §2.2, form 3).
                guard let bits = parseIPv4(bytes[start...]) else { return nil }
                let groups = [UInt16(bits >> 16), UInt16(bits & 0xffff)]
                if sawGap { tail += groups } else { head += groups }
                index = bytes.endIndex
                break
            }
            guard index > start else { return nil }
            if sawGap { tail.append(UInt16(value)) } else { head.append(UInt16(value)) }
            guard index < bytes.endIndex else { break }
            guard bytes[index] == colon else { return nil }
            index += 1
            if index < bytes.endIndex && bytes[index] == colon {
                guard !sawGap else { return nil }
                sawGap = true
                index += 1
            } else if index == bytes.endIndex {
                return nil  // a trailing single colon
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        let groups = head + [UInt16](repeating: 0, count: 8 - count) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, group) in groups.enumerated() {
            if position < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        return IPAddress(high: high, low: low)
    }

    private static func decimalDigit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}
