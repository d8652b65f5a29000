import Testing

@testable import GatewayCore

/// The v2 signature, written out from proxy-protocol.txt §2.2 (not taken
/// from the parser, so a wrong constant there would fail here).
private let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

private func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

private func ip(_ text: String) -> IPAddress { IPAddress.parse(text)! }

private func endpoint(_ address: String, _ port: UInt16) -> IPEndpoint {
    IPEndpoint(address: ip(address), port: port)
}

/// A v2 header: signature, version/command byte, family byte, length, block.
private func v2(_ versionCommand: UInt8, _ family: UInt8, _ block: [UInt8]) -> [UInt8] {
    v2Signature + [versionCommand, family, UInt8(block.count >> 8), UInt8(block.count & 0xff)] + block
}

/// What feeding `bytes` in `chunks` found: the header and where it ended
/// (from the start of the input), or the error, or nothing yet.
private struct Fed: Equatable {
    var header: ProxyHeader?
    var end = 0
    var error: ProxyHeaderError?
}

private func feed(_ bytes: [UInt8], chunks: [Int] = []) -> Fed {
    var parser = ProxyHeaderParser()
    var offset = 0
    var index = 0
    while offset < bytes.count {
        let size = chunks.isEmpty ? bytes.count : chunks[index % chunks.count]
        index += 1
        let end = min(bytes.count, offset + size)
        switch bytes[offset..<end].withUnsafeBytes({ parser.feed($0) }) {
        case .needMore: offset = end
        case .complete(let header, let consumed): return Fed(header: header, end: offset + consumed)
        case .failed(let error): return Fed(error: error)
        }
    }
    return Fed()
}

/// Parses `bytes` whole and split at every byte, and in every two-piece
/// split; all must agree. Returns the whole-input result.
private func feedEverySplit(_ bytes: [UInt8]) -> Fed {
    let whole = feed(bytes)
    #expect(feed(bytes, chunks: [1]) == whole, "byte by byte")
    for cut in 1..<max(2, bytes.count) {
        var parser = ProxyHeaderParser()
        var result = Fed()
        for (start, end) in [(0, cut), (cut, bytes.count)] where result == Fed() {
            switch bytes[start..<end].withUnsafeBytes({ parser.feed($0) }) {
            case .needMore: continue
            case .complete(let header, let consumed): result = Fed(header: header, end: start + consumed)
            case .failed(let error): result = Fed(error: error)
            }
        }
        #expect(result == whole, "split at \(cut)")
    }
    return whole
}

@Suite("PROXY protocol header parser")
struct ProxyHeaderParserTests {
    // MARK: Version 1

    @Test func v1TCP4GivesTheClientAndLeavesTheChatBytes() {
        let header = ascii("PROXY TCP4 203.0.113.7 192.0.2.1 40000 8989\r\n")
        let input = header + ascii("{\"name\":\"Mina\",\"room\":\"dev\"}\n")
        let fed = feedEverySplit(input)
        #expect(fed.end == header.count)
        #expect(
            fed.header
                == ProxyHeader(
                    version: .one, source: endpoint("203.0.113.7", 40000), destination: endpoint("192.0.2.1", 8989),
                    length: header.count))
    }

    @Test func v1TCP6AcceptsCompressedFullAndUppercaseForms() {
        let cases: [(String, String)] = [
            ("2001:db8::7", "2001:db8::7"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0007", "2001:db8::7"),
            ("::1", "::1"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
        ]
        for (text, canonical) in cases {
            let header = ascii("PROXY TCP6 \(text) 2001:db8::1 65535 0\r\n")
            let fed = feedEverySplit(header + ascii("GET /"))
            #expect(fed.end == header.count, "\(text)")
            #expect(fed.header?.source?.address.description == canonical, "\(text)")
            #expect(fed.header?.source?.port == 65535)
            #expect(fed.header?.destination == endpoint("2001:db8::1", 0))
        }
    }

    @Test func v1LongestLinesFitTheBoundAndOneByteMoreDoesNot() {
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let tcp6 = ascii("PROXY TCP6 \(full) \(full) 65535 65535\r\n")
        #expect(tcp6.count == 104)
        #expect(feedEverySplit(tcp6).header?.length == 104)
        // UNKNOWN ignores the rest of its line; the worst case is 107 bytes.
        let unknown = ascii("PROXY UNKNOWN \(full) \(full) 65535 65535\r\n")
        #expect(unknown.count == ProxyHeaderParser.maxVersion1Bytes)
        #expect(
            feedEverySplit(unknown)
                == Fed(header: ProxyHeader(version: .one, source: nil, destination: nil, length: 107), end: 107))
        let over = ascii("PROXY UNKNOWN \(full) \(full) 65535 655350\r\n")
        #expect(feedEverySplit(over).error == .lineTooLong)
        // The bound holds without a CRLF anywhere: 107 bytes, then refused.
        var parser = ProxyHeaderParser()
        let endless = ascii("PROXY UNKNOWN ") + [UInt8](repeating: UInt8(ascii: "a"), count: 92)
        #expect(endless.count == 106)
        #expect(endless.withUnsafeBytes { parser.feed($0) } == .needMore)
        #expect([UInt8(ascii: "a")].withUnsafeBytes { parser.feed($0) } == .failed(.lineTooLong))
    }

    @Test func v1UnknownKeepsThePeerWithOrWithoutAddresses() {
        for line in ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY UNKNOWN whatever\r\n"] {
            let fed = feedEverySplit(ascii(line) + ascii("x"))
            #expect(
                fed
                    == Fed(
                        header: ProxyHeader(version: .one, source: nil, destination: nil, length: line.utf8.count),
                        end: line.utf8.count), "\(line)")
        }
    }

    @Test func v1MalformedLinesAreRefusedWithTheReason() {
        let cases: [(String, ProxyHeaderError)] = [
            ("GET / HTTP/1.1\r\n", .notAProxyHeader),
            ("{\"name\":\"x\"}\n", .notAProxyHeader),
            ("PROXX TCP4", .notAProxyHeader),
            ("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", .notAProxyHeader),
            ("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", .notAProxyHeader),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", .badLineEnding),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", .badLineEnding),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", .badLineEnding),
            ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", .unknownProtocol),
            ("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", .unknownProtocol),
            ("PROXY \r\n", .unknownProtocol),
            ("PROXY\r\n", .notAProxyHeader),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", .malformedLine),
            ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", .malformedLine),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", .malformedLine),
            ("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", .invalidAddress),
            ("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", .invalidAddress),
            ("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", .invalidAddress),
            ("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", .invalidAddress),
            ("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", .invalidAddress),
            ("PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n", .invalidAddress),
            ("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", .invalidAddress),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", .invalidPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", .invalidPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", .invalidPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\r\n", .invalidPort),
        ]
        for (line, error) in cases {
            #expect(feedEverySplit(ascii(line)).error == error, "\(line.debugDescription)")
        }
    }

    // MARK: Version 2

    @Test func v2ProxyOverIPv4GivesTheClientAndLeavesTheChatBytes() {
        // 203.0.113.7:40000 → 192.0.2.1:8989, TCP over IPv4 (0x11), 12-byte block.
        let block: [UInt8] = [203, 0, 113, 7, 192, 0, 2, 1, 0x9C, 0x40, 0x23, 0x1D]
        let header = v2(0x21, 0x11, block)
        #expect(header.count == 28)
        let fed = feedEverySplit(header + ascii("{\"name\":"))
        #expect(
            fed
                == Fed(
                    header: ProxyHeader(
                        version: .two, source: endpoint("203.0.113.7", 40000), destination: endpoint("192.0.2.1", 8989),
                        length: 28), end: 28))
    }

    @Test func v2ProxyOverIPv6GivesTheClient() {
        let source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x07]
        let destination: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x01]
        let header = v2(0x21, 0x21, source + destination + [0xFF, 0xFF, 0x01, 0xBB])
        #expect(header.count == 16 + 36)
        let fed = feedEverySplit(header)
        #expect(fed.header?.source == endpoint("2001:db8::7", 65535))
        #expect(fed.header?.destination == endpoint("2001:db8::1", 443))
        #expect(fed.end == 52)
    }

    @Test func v2TLVsAfterTheAddressesAreSkipped() {
        let block: [UInt8] = [198, 51, 100, 9, 192, 0, 2, 1, 0x30, 0x39, 0x01, 0xBB]
        // PP2_TYPE_ALPN "h2", PP2_TYPE_AUTHORITY "chat.example", PP2_TYPE_NOOP of 3.
        let tlvs: [UInt8] =
            [0x01, 0x00, 0x02] + ascii("h2") + [0x02, 0x00, 0x0C] + ascii("chat.example") + [0x04, 0x00, 0x03, 0, 0, 0]
        let header = v2(0x21, 0x11, block + tlvs)
        let fed = feedEverySplit(header + ascii("GET / HTTP/1.1\r\n"))
        #expect(fed.end == header.count)
        #expect(fed.header?.source == endpoint("198.51.100.9", 12345))
    }

    @Test func v2LocalKeepsThePeerWhateverTheFamilyAndBlock() {
        for (family, block) in [(UInt8(0x00), [UInt8]()), (0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]), (0xFF, [9])] {
            let header = v2(0x20, family, block)
            let fed = feedEverySplit(header + ascii("x"))
            #expect(
                fed
                    == Fed(
                        header: ProxyHeader(version: .two, source: nil, destination: nil, length: header.count), end: header.count
                    ))
        }
    }

    @Test func v2UnixUnspecAndDatagramFamiliesFallBackToThePeer() {
        let unixBlock = [UInt8](repeating: 0x2F, count: 216)
        for (family, block) in [
            (UInt8(0x31), unixBlock), (0x32, unixBlock), (0x00, [UInt8]()), (0x12, [UInt8](repeating: 1, count: 12)),
            (0x22, [UInt8](repeating: 1, count: 36)), (0x10, [UInt8]()), (0x01, [UInt8]()),
        ] {
            let header = v2(0x21, family, block)
            let fed = feedEverySplit(header)
            #expect(
                fed.header == ProxyHeader(version: .two, source: nil, destination: nil, length: header.count), "family \(family)")
        }
    }

    @Test func v2LargestHeaderFitsTheBoundAndOneByteMoreDoesNot() {
        let largest = v2(0x21, 0x11, [UInt8](repeating: 7, count: 520))
        #expect(largest.count == ProxyHeaderParser.maxVersion2Bytes)
        #expect(feedEverySplit(largest).end == 536)
        let over = v2(0x21, 0x11, [UInt8](repeating: 7, count: 521))
        #expect(feedEverySplit(over).error == .headerTooLong(537))
        // The length field alone decides: nothing past 16 bytes is awaited.
        #expect(feed(Array(v2(0x21, 0x11, []).prefix(14)) + [0xFF, 0xFF]).error == .headerTooLong(16 + 65535))
    }

    @Test func v2MalformedHeadersAreRefusedWithTheReason() {
        let block: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]
        var badSignature = v2(0x21, 0x11, block)
        badSignature[4] = 0x01
        let cases: [([UInt8], ProxyHeaderError)] = [
            (badSignature, .notAProxyHeader),
            (v2(0x11, 0x11, block), .unsupportedVersion(1)),
            (v2(0x31, 0x11, block), .unsupportedVersion(3)),
            (v2(0x22, 0x11, block), .unsupportedCommand(2)),
            (v2(0x2F, 0x11, block), .unsupportedCommand(15)),
            (v2(0x21, 0x41, block), .invalidFamily(0x41)),
            (v2(0x21, 0x13, block), .invalidFamily(0x13)),
            (v2(0x21, 0x11, Array(block.prefix(11))), .addressBlockTooShort(family: 0x11, length: 11)),
            (v2(0x21, 0x21, [UInt8](repeating: 0, count: 35)), .addressBlockTooShort(family: 0x21, length: 35)),
            (v2(0x21, 0x31, [UInt8](repeating: 0, count: 215)), .addressBlockTooShort(family: 0x31, length: 215)),
            ([0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B], .notAProxyHeader),
        ]
        for (bytes, error) in cases {
            #expect(feedEverySplit(bytes).error == error, "\(bytes.prefix(16))")
        }
    }

    @Test func incompleteHeadersWaitForMoreBytes() {
        let v1 = ascii("PROXY TCP4 203.0.113.7 192.0.2.1 40000 8989\r")
        let v2Header = Array(v2(0x21, 0x11, [203, 0, 113, 7, 192, 0, 2, 1, 0x9C, 0x40, 0x23, 0x1D]).dropLast())
        for bytes in [v1, v2Header, Array(v2Signature.prefix(5)), ascii("P")] {
            #expect(feed(bytes) == Fed(), "\(bytes.prefix(16))")
        }
    }

    @Test func aFinishedParserRepeatsItsResultAndTakesNothing() {
        var parser = ProxyHeaderParser()
        let header = ascii("PROXY UNKNOWN\r\nrest")
        let expected = ProxyHeader(version: .one, source: nil, destination: nil, length: 15)
        #expect(header.withUnsafeBytes { parser.feed($0) } == .complete(expected, consumed: 15))
        #expect(ascii("more").withUnsafeBytes { parser.feed($0) } == .complete(expected, consumed: 0))
        var failed = ProxyHeaderParser()
        #expect(ascii("GET").withUnsafeBytes { failed.feed($0) } == .failed(.notAProxyHeader))
        #expect(ascii("PROXY UNKNOWN\r\n").withUnsafeBytes { failed.feed($0) } == .failed(.notAProxyHeader))
    }

    // MARK: Fuzz entry

    @Test func fuzzEntryAcceptsValidInvalidAndTruncatedHeaders() {
        var inputs: [[UInt8]] = [
            [], ascii("PROXY TCP4 203.0.113.7 192.0.2.1 40000 8989\r\nhello"), ascii("PROXY UNKNOWN\r\n"),
            ascii("PROXY TCP6 ::1 ::1 1 2\r\n"), v2(0x21, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]), v2(0x20, 0xFF, []),
            v2(0x21, 0x11, [UInt8](repeating: 7, count: 521)), ascii("PROXY TCP4 1.2.3.4"), Array(v2Signature.prefix(13)),
        ]
        var seed: UInt64 = 0x1234_5678
        for _ in 0..<300 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var bytes = inputs[Int(seed >> 33) % inputs.count]
            if !bytes.isEmpty {
                bytes[Int(seed >> 40) % bytes.count] = UInt8(truncatingIfNeeded: seed >> 20)
            }
            inputs.append(bytes)
        }
        for input in inputs { input.withUnsafeBytes { ProxyHeaderParser.fuzz($0) } }
    }
}
