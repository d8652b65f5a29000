/// Reads the PROXY protocol header a trusted proxy puts before a client's
/// bytes (haproxy's proxy-protocol.txt, versions 1 and 2). Incremental: the
/// header may arrive in any split, one byte at a time included (§2: nothing
/// forces a proxy to send it at once). Bounded: at most 107 bytes for v1 and
/// 536 for v2 are kept. No I/O; the session feeds it what it reads and hands
/// the bytes after the header to the chat protocol.
public struct ProxyHeaderParser: Sendable {
    /// The longest v1 line, CRLF included: `PROXY UNKNOWN` with two full
    /// IPv6 addresses and ports (§2.1).
    public static let maxVersion1Bytes = 107
    /// The largest v2 header accepted: the 16-byte fixed part, the largest
    /// address block (216 bytes, AF_UNIX) and 304 bytes of TLVs. Senders
    /// that pass TLS details in TLVs stay well within it.
    public static let maxVersion2Bytes = 536

    /// The v2 signature (§2.2): a CRLF pair, a NUL, then `\r\nQUIT\n`.
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let version1Prefix: [UInt8] = Array("PROXY ".utf8)

    /// What one `feed` found.
    public enum Outcome: Equatable, Sendable {
        /// The header is not complete yet; every byte given was taken.
        case needMore
        /// The header ended `consumed` bytes into this feed's input; the
        /// rest of that input is the client's own data.
        case complete(ProxyHeader, consumed: Int)
        /// Not a valid header: close the connection.
        case failed(ProxyHeaderError)
    }

    /// The header's bytes so far (never more than its bound). Kept once
    /// finished, so a later feed can repeat the result without storing it:
    /// sessions hold a parser each, and it stays small.
    private var buffer: [UInt8] = []
    /// Set once the header is complete or failed.
    private var isFinished = false

    public init() {}

    /// Takes the next bytes read from the connection. Once the header is
    /// complete or failed, later feeds take nothing and repeat the result
    /// (`consumed: 0`).
    public mutating func feed(_ input: UnsafeRawBufferPointer) -> Outcome {
        if isFinished {
            switch step() {
            case .some(.success(let header)): return .complete(header, consumed: 0)
            case .some(.failure(let error)): return .failed(error)
            case .none: preconditionFailure("a finished PROXY header parser has an unfinished header")
            }
        }
        for (index, byte) in input.enumerated() {
            buffer.append(byte)
            switch step() {
            case .none:
                continue
            case .some(.success(let header)):
                isFinished = true
                return .complete(header, consumed: index + 1)
            case .some(.failure(let error)):
                isFinished = true
                return .failed(error)
            }
        }
        return .needMore
    }

    /// Looks at the byte just appended: nil to go on, or the result.
    private func step() -> Result<ProxyHeader, ProxyHeaderError>? {
        switch buffer[0] {
        case UInt8(ascii: "P"): return stepVersion1()
        case Self.signature[0]: return stepVersion2()
        default: return .failure(.notAProxyHeader)
        }
    }

    // MARK: Version 1

    private func stepVersion1() -> Result<ProxyHeader, ProxyHeaderError>? {
        let count = buffer.count
        let byte = buffer[count - 1]
        if count <= Self.version1Prefix.count {
            return byte == Self.version1Prefix[count - 1] ? nil : .failure(.notAProxyHeader)
        }
        let previous = buffer[count - 2]
        // §2.1: the line ends in CRLF; a lone CR or LF must not be tolerated.
        if byte == UInt8(ascii: "\n") {
            guard previous == UInt8(ascii: "\r") else { return .failure(.badLineEnding) }
            return Self.parseVersion1(buffer[0..<(count - 2)]).map {
                ProxyHeader(version: .one, source: $0?.source, destination: $0?.destination, length: count)
            }
        }
        if previous == UInt8(ascii: "\r") { return .failure(.badLineEnding) }
        if count >= Self.maxVersion1Bytes { return .failure(.lineTooLong) }
        return nil
    }

    /// Parses `PROXY <proto> <src> <dst> <sport> <dport>` (without CRLF):
    /// exactly one space between fields, canonical addresses of the family,
    /// ports without leading zeros. `UNKNOWN` ignores the rest of the line.
    static func parseVersion1(
        _ line: ArraySlice<UInt8>
    ) -> Result<(source: IPEndpoint, destination: IPEndpoint)?, ProxyHeaderError> {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count >= 2 else { return .failure(.unknownProtocol) }
        let parse: (ArraySlice<UInt8>) -> IPAddress?
        switch Array(fields[1]) {
        case Array("UNKNOWN".utf8):
            return .success(nil)
        case Array("TCP4".utf8):
            parse = { IPAddress.parseIPv4($0).map { IPAddress(ipv4: $0) } }
        case Array("TCP6".utf8):
            parse = { $0.contains(UInt8(ascii: ":")) ? IPAddress.parseIPv6($0) : nil }
        default:
            return .failure(.unknownProtocol)
        }
        guard fields.count == 6 else { return .failure(.malformedLine) }
        guard let source = parse(fields[2]), let destination = parse(fields[3]) else { return .failure(.invalidAddress) }
        guard let sourcePort = parsePort(fields[4]), let destinationPort = parsePort(fields[5]) else {
            return .failure(.invalidPort)
        }
        return .success(
            (IPEndpoint(address: source, port: sourcePort), IPEndpoint(address: destination, port: destinationPort)))
    }

    /// A decimal 0-65535 without leading zeros (§2.1: no octal confusion).
    static func parsePort(_ digits: ArraySlice<UInt8>) -> UInt16? {
        guard !digits.isEmpty, digits.count <= 5, digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= 65535 ? UInt16(value) : nil
    }

    // MARK: Version 2

    private func stepVersion2() -> Result<ProxyHeader, ProxyHeaderError>? {
        let count = buffer.count
        let byte = buffer[count - 1]
        if count <= Self.signature.count {
            return byte == Self.signature[count - 1] ? nil : .failure(.notAProxyHeader)
        }
        if count == 13 {
            // §2.2: the high nibble is the version (must be 2), the low the command.
            guard byte >> 4 == 2 else { return .failure(.unsupportedVersion(byte >> 4)) }
            guard byte & 0x0F <= 1 else { return .failure(.unsupportedCommand(byte & 0x0F)) }
            return nil
        }
        let isProxy = buffer[12] & 0x0F == 1
        if count == 14 {
            // LOCAL ignores the family entirely; PROXY must name a valid one.
            guard !isProxy || (byte >> 4 <= 3 && byte & 0x0F <= 2) else { return .failure(.invalidFamily(byte)) }
            return nil
        }
        guard count >= 16 else { return nil }
        let length = Int(buffer[14]) << 8 | Int(buffer[15])
        if count == 16 {
            guard 16 + length <= Self.maxVersion2Bytes else { return .failure(.headerTooLong(16 + length)) }
            let family = buffer[13]
            // The address block sizes of §2.2 (PROXY only: LOCAL's family is
            // ignored, and was not checked); UNSPEC in either nibble has none.
            if isProxy, family & 0x0F != 0, length < [0, 12, 36, 216][Int(family >> 4)] {
                return .failure(.addressBlockTooShort(family: family, length: length))
            }
        }
        guard count == 16 + length else { return nil }
        return .success(versionTwoHeader(isProxy: isProxy))
    }

    /// The complete v2 header: TCP over IPv4 (0x11) and IPv6 (0x21) give
    /// the client; LOCAL, UNSPEC, UDP and AF_UNIX keep the connection's own
    /// endpoints (§2.2: fall back to UNSPEC for what a TCP server cannot use).
    /// TLVs after the addresses are skipped.
    private func versionTwoHeader(isProxy: Bool) -> ProxyHeader {
        var header = ProxyHeader(version: .two, source: nil, destination: nil, length: buffer.count)
        guard isProxy else { return header }
        func port(_ at: Int) -> UInt16 { UInt16(buffer[at]) << 8 | UInt16(buffer[at + 1]) }
        switch buffer[13] {
        case 0x11:
            if let source = IPAddress(bytes: buffer[16..<20]), let destination = IPAddress(bytes: buffer[20..<24]) {
                header.source = IPEndpoint(address: source, port: port(24))
                header.destination = IPEndpoint(address: destination, port: port(26))
            }
        case 0x21:
            if let source = IPAddress(bytes: buffer[16..<32]), let destination = IPAddress(bytes: buffer[32..<48]) {
                header.source = IPEndpoint(address: source, port: port(48))
                header.destination = IPEndpoint(address: destination, port: port(50))
            }
        default:
            break
        }
        return header
    }
}
