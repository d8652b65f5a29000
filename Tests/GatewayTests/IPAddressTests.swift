@preconcurrency import Glibc
import Testing

@testable import GatewayCore

/// glibc's inet_pton: an independent parser to check ours against.
private func libcParse(_ text: String) -> IPAddress? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return IPAddress(ipv4: UInt32(bigEndian: v4.s_addr))
    }
    var v6 = in6_addr()
    guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
    return withUnsafeBytes(of: &v6) { IPAddress(bytes: $0) }
}

/// glibc's inet_ntop for an IPv6 address (not IPv4-mapped ones, which it
/// writes as `::ffff:a.b.c.d` and we as `a.b.c.d`; nor the deprecated
/// IPv4-compatible `::a.b.c.d`, RFC 4291 §2.5.5.1, which RFC 5952 writes
/// in hex like any other address and glibc dotted).
private func libcFormat(_ address: IPAddress) -> String {
    var v6 = in6_addr()
    withUnsafeMutableBytes(of: &v6) { raw in
        for index in 0..<16 {
            let word = index < 8 ? address.high : address.low
            raw[index] = UInt8(truncatingIfNeeded: word >> (UInt64(7 - index % 8) * 8))
        }
    }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    _ = inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count))
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@Suite("IP addresses and networks")
struct IPAddressTests {
    @Test func parsingAgreesWithInetPtonOnValidAndInvalidTexts() {
        let texts = [
            "0.0.0.0", "127.0.0.1", "255.255.255.255", "203.0.113.7", "1.2.3.4", "10.0.0.1", "256.1.1.1", "1.2.3",
            "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "01.2.3.4", "1.2.3.04", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "",
            "::", "::1", "1::", "2001:db8::1", "2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0000:0001",
            "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::2::3", ":::", ":1::2",
            "1::2:", "1:2:3:4:5:6:7", "12345::1", "g::1", "::ffff:1.2.3.4", "::1.2.3.4", "64:ff9b::192.0.2.33",
            "::ffff:1.2.3", "::ffff:1.2.3.4.5", "1.2.3.4::", "fe80::1%eth0", "[::1]", "::ffff:01.2.3.4",
            "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "0:0:0:0:0:0:0:0",
        ]
        for text in texts {
            #expect(IPAddress.parse(text) == libcParse(text), "\(text.debugDescription)")
        }
    }

    @Test func ipv6IsWrittenInTheRFC5952FormInetNtopWrites() {
        var seed: UInt64 = 0xDEAD_BEEF
        var addresses = [
            "::", "::1", "1::", "2001:db8::1", "2001:db8:0:1:0:0:0:1", "2001:0:0:1:0:0:0:1", "1:0:0:2:0:0:0:3",
            "0:1:0:1:0:1:0:1", "fe80::", "1:2:3:4:5:6:7:8", "2001:db8:1:0:1:0:0:0",
        ].map { IPAddress.parse($0)! }
        for _ in 0..<500 {
            var groups: [UInt64] = []
            for _ in 0..<8 {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                // Mostly zeros, so runs of zero groups of every length appear.
                groups.append(seed >> 61 < 5 ? 0 : seed >> 48)
            }
            let high = groups[0..<4].reduce(0) { $0 << 16 | $1 }
            let low = groups[4..<8].reduce(0) { $0 << 16 | $1 }
            addresses.append(IPAddress(high: high, low: low))
        }
        for address in addresses where !address.isIPv4 && !(address.high == 0 && address.low >> 32 == 0 && address.low > 0xffff) {
            #expect(address.description == libcFormat(address))
            #expect(IPAddress.parse(address.description) == address)
        }
    }

    @Test func ipv4AndIPv4MappedAreOneAddressWrittenDotted() {
        #expect(IPAddress.parse("::ffff:203.0.113.7") == IPAddress.parse("203.0.113.7"))
        #expect(IPAddress.parse("::ffff:cb00:7107") == IPAddress.parse("203.0.113.7"))
        #expect(IPAddress.parse("::ffff:203.0.113.7")?.description == "203.0.113.7")
        #expect(IPAddress(bytes: [203, 0, 113, 7])?.description == "203.0.113.7")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPEndpoint(address: ip("203.0.113.7"), port: 40000).description == "203.0.113.7:40000")
        #expect(IPEndpoint(address: ip("2001:db8::7"), port: 443).description == "[2001:db8::7]:443")
    }

    @Test func limitsCountIPv4AddressesAndIPv6Slash64s() {
        #expect(ip("203.0.113.7").limitKey == ip("203.0.113.7"))
        #expect(ip("203.0.113.7").limitKey != ip("203.0.113.8").limitKey)
        #expect(ip("2001:db8:1:2:aaaa::1").limitKey == ip("2001:db8:1:2:bbbb::2").limitKey)
        #expect(ip("2001:db8:1:2::1").limitKey != ip("2001:db8:1:3::1").limitKey)
    }

    @Test func networksMatchTheirBlocksInBothFamilies() throws {
        func network(_ text: String) throws -> IPNetwork { try IPNetwork.parse(text).get() }
        let loopback = try network("127.0.0.0/8")
        #expect(loopback.contains(ip("127.255.0.1")) && !loopback.contains(ip("128.0.0.1")))
        #expect(loopback.contains(ip("::ffff:127.0.0.1")))
        #expect(!loopback.contains(ip("::1")))
        let single = try network("10.1.2.3")
        #expect(single.contains(ip("10.1.2.3")) && !single.contains(ip("10.1.2.4")))
        let documentation = try network("2001:db8::/32")
        #expect(documentation.contains(ip("2001:db8:ffff::1")) && !documentation.contains(ip("2001:db9::1")))
        #expect(try network("::1").contains(ip("::1")))
        #expect(try network("0.0.0.0/0").contains(ip("198.51.100.1")))
        #expect(try !network("0.0.0.0/0").contains(ip("2001:db8::1")))
        #expect(try network("::/0").contains(ip("2001:db8::1")))
        #expect(try network("192.0.2.128/25").contains(ip("192.0.2.200")))
        #expect(try !network("192.0.2.128/25").contains(ip("192.0.2.100")))
        #expect(try network("10.0.0.0/8").description == "10.0.0.0/8")
        #expect(try network("2001:db8::/32").description == "2001:db8::/32")
        #expect(try network("127.0.0.1").description == "127.0.0.1")
    }

    @Test func badNetworksAreRefusedWithWhatToWrite() {
        #expect(IPNetwork.parse("10.0.0.1/8") == .failure(.hostBitsSet("10.0.0.1/8", suggestion: "10.0.0.0/8")))
        #expect(IPNetwork.parse("2001:db8::1/32") == .failure(.hostBitsSet("2001:db8::1/32", suggestion: "2001:db8::/32")))
        for text in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "::/129", "10.0.0.0/8/8", "::/ 1"] {
            #expect(IPNetwork.parse(text) == .failure(.invalidPrefix(text)), "\(text)")
        }
        for text in ["localhost", "10.0.0", "", "/8", "10.0.0.0 /8"] {
            #expect(IPNetwork.parse(text) == .failure(.invalidAddress(text)), "\(text)")
        }
        if case .failure(let error) = IPNetwork.parse("10.0.0.1/8") {
            #expect(error.description == "\"10.0.0.1/8\" has bits set after its prefix; did you mean 10.0.0.0/8?")
        }
    }
}

private func ip(_ text: String) -> IPAddress { IPAddress.parse(text)! }
