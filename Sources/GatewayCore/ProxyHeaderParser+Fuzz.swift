extension ProxyHeaderParser {
    /// What feeding a whole input produced, with the header's end counted
    /// from the start of the input (so different splits compare equal).
    struct FuzzOutcome: Equatable {
        var header: ProxyHeader?
        var end = 0
        var error: ProxyHeaderError?
    }

    /// A libFuzzer entry point (`LLVMFuzzerTestOneInput` can call it): parses
    /// `data` whole, byte by byte and in other splits. Traps if a split
    /// parses differently from the whole, if a header is longer than its
    /// version's bound or than the input, if its length is not where it
    /// ended, or if a v1 TCP4 header (whose text form is canonical) is not
    /// exactly the bytes it was parsed from. Must never crash otherwise.
    public static func fuzz(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let whole = parse(bytes, chunks: [])
        for chunks in [[1], [2], [3, 1, 7], [15, 1], [16, 300]] {
            let split = parse(bytes, chunks: chunks)
            precondition(split == whole, "parsing depends on the split \(chunks): \(split) not \(whole)")
        }
        guard let header = whole.header else { return }
        precondition(header.length == whole.end && whole.end <= bytes.count, "header length \(header.length), end \(whole.end)")
        let bound = header.version == .one ? maxVersion1Bytes : maxVersion2Bytes
        precondition(header.length <= bound, "a v\(header.version.rawValue) header of \(header.length) bytes")
        if header.version == .one, let source = header.source, let destination = header.destination, source.address.isIPv4,
            bytes.starts(with: Array("PROXY TCP4 ".utf8))
        {
            let text = "PROXY TCP4 \(source.address) \(destination.address) \(source.port) \(destination.port)\r\n"
            precondition(Array(text.utf8) == Array(bytes[0..<header.length]), "TCP4 header \(header) is not its input")
        }
    }

    /// Feeds `bytes` in pieces of the sizes in `chunks` (repeated; empty
    /// means whole) until the parser finishes or the input runs out.
    static func parse(_ bytes: [UInt8], chunks: [Int]) -> FuzzOutcome {
        var parser = ProxyHeaderParser()
        var offset = 0
        var chunkIndex = 0
        while offset < bytes.count {
            let size = chunks.isEmpty ? bytes.count : max(1, chunks[chunkIndex % chunks.count])
            chunkIndex += 1
            let end = min(bytes.count, offset + size)
            let outcome = bytes[offset..<end].withUnsafeBytes { parser.feed($0) }
            switch outcome {
            case .needMore:
                offset = end
            case .complete(let header, let consumed):
                return FuzzOutcome(header: header, end: offset + consumed)
            case .failed(let error):
                return FuzzOutcome(error: error)
            }
        }
        return FuzzOutcome()
    }
}
