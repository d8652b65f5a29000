@preconcurrency import Glibc

/// Incremental, bounded decoder of RESP2 and RESP3 replies: `feed` bytes as
/// they arrive, in any split, then call `next()` until it returns nil.
///
/// Parse state is kept between calls, so the work per byte is bounded however
/// the input is split (no rescanning, nothing quadratic): a line's CRLF search
/// resumes where it stopped, a bulk payload is only counted until it is
/// complete and then copied once, and the elements of an unfinished aggregate
/// are already decoded. Every bound in
/// `RESPDecoderLimits` is checked from headers as they arrive, and the
/// outcome (values and error) does not depend on how the input was split.
///
/// Framing lives here; whether a line's bytes are a valid integer, double,
/// boolean and so on is decided by `RESPScalar`. After an error the decoder
/// stays failed: `next()` throws the same error and fed bytes are dropped.
///
/// The decoder bounds the reply in progress; a caller must call `next()`
/// until nil after each `feed`, so undecoded input never piles up behind it.
public struct RESPDecoder: Sendable {
    /// What to do with RESP3 attributes (`|`), which carry side information
    /// about the value that follows them.
    public enum AttributeHandling: Sendable {
        /// Return `.attributed(attributes:value:)`.
        case attach
        /// Decode and drop them; return only the value they describe.
        case skip
    }

    /// An aggregate whose elements are still arriving.
    private struct Frame: Sendable {
        enum Kind: Sendable {
            case array, set, push, map, attribute
            /// The attribute's pairs are complete; waiting for the value it describes.
            case attributed([RESPPair])

            /// Maps and attributes count pairs in their headers.
            var isPaired: Bool {
                switch self {
                case .map, .attribute: return true
                default: return false
                }
            }
        }

        var kind: Kind
        /// Elements still to come (twice the pair count for maps and attributes).
        var remaining: Int
        var elements: [RESPValue]
    }

    /// What a header line turned out to start.
    private enum Header {
        case value(RESPValue)
        case bulk(type: UInt8, length: Int)
        case aggregate(Frame.Kind, count: Int)
    }

    public let limits: RESPDecoderLimits
    public let attributeHandling: AttributeHandling

    /// Received bytes; those before `readIndex` are consumed.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Bytes of the current line's content already searched for CRLF without
    /// success, so the search resumes after them.
    private var scannedLength = 0
    /// A bulk header was consumed; its payload and CRLF are awaited.
    private var pendingBulk: (type: UInt8, length: Int)?
    private var stack: [Frame] = []
    /// Wire bytes consumed by the top-level reply in progress.
    private var replyBytes = 0
    private var failure: RESPProtocolError?

    /// Storage above this size is released once every byte is decoded.
    static let retainedCapacityLimit = 64 * 1024

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    public init(limits: RESPDecoderLimits = RESPDecoderLimits(), attributes: AttributeHandling = .attach) {
        self.limits = limits
        self.attributeHandling = attributes
    }

    /// Bytes fed but not yet consumed (a partial line or bulk payload).
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// The error the decoder failed with, if it did.
    public var error: RESPProtocolError? { failure }

    /// Adds received bytes; they are copied, so `bytes` need not outlive the call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        // Move the unconsumed tail to the front once consumed bytes make up at
        // least half the buffer: each byte moves about once on average.
        if readIndex > 0 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete top-level value, or nil when more bytes are needed.
    public mutating func next() throws(RESPProtocolError) -> RESPValue? {
        if let failure { throw failure }
        do throws(RESPProtocolError) {
            while let element = try nextElement() {
                if let reply = finish(element) {
                    replyBytes = 0
                    releaseIfDrained()
                    return reply
                }
            }
            releaseIfDrained()
            return nil
        } catch {
            failure = error
            buffer = []
            readIndex = 0
            stack = []
            pendingBulk = nil
            throw error
        }
    }

    // MARK: Elements

    /// The next scalar or empty aggregate; non-empty aggregates are pushed on
    /// the stack and decoding goes on with their first element.
    private mutating func nextElement() throws(RESPProtocolError) -> RESPValue? {
        while true {
            if let bulk = pendingBulk {
                guard bufferedByteCount >= bulk.length + 2 else { return nil }
                return try takeBulk(type: bulk.type, length: bulk.length)
            }
            guard bufferedByteCount > 0 else { return nil }
            let type = buffer[readIndex]
            guard Self.isKnownType(type) else { throw .unknownType(type) }
            guard let lineEnd = try findLineEnd() else { return nil }
            try account(lineEnd + 2 - readIndex)
            let header = try readHeader(type: type, contentRange: (readIndex + 1)..<lineEnd)
            readIndex = lineEnd + 2
            scannedLength = 0
            switch header {
            case .value(let value):
                return value
            case .bulk(let type, let length):
                if length < 0 { return .nullBulkString }
                guard length <= limits.maxBulkLength else { throw .bulkTooLong(length: length, max: limits.maxBulkLength) }
                try account(length + 2)
                pendingBulk = (type, length)
            case .aggregate(let kind, let count):
                guard count <= limits.maxAggregateCount else {
                    throw .aggregateTooLarge(count: count, max: limits.maxAggregateCount)
                }
                guard stack.count < limits.maxDepth else { throw .nestingTooDeep(max: limits.maxDepth) }
                if let empty = startAggregate(kind, count: count) { return empty }
            }
        }
    }

    private static func isKnownType(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
            UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "!"),
            UInt8(ascii: "="), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: "|"), UInt8(ascii: ">"):
            return true
        default:
            return false
        }
    }

    /// Interprets a complete header line: scalars are validated by `RESPScalar`.
    private func readHeader(type: UInt8, contentRange: Range<Int>) throws(RESPProtocolError) -> Header {
        let outcome = buffer.withUnsafeBytes { raw in
            Result { () throws(RESPProtocolError) -> Header in
                let line = UnsafeRawBufferPointer(rebasing: raw[contentRange])
                switch type {
                case UInt8(ascii: "+"): return .value(.simpleString(try RESPScalar.simpleLine(line, type: type)))
                case UInt8(ascii: "-"): return .value(.error(try RESPScalar.simpleLine(line, type: type)))
                case UInt8(ascii: ":"): return .value(.integer(try RESPScalar.integer(line)))
                case UInt8(ascii: "_"):
                    try RESPScalar.null(line)
                    return .value(.null)
                case UInt8(ascii: "#"): return .value(.boolean(try RESPScalar.boolean(line)))
                case UInt8(ascii: ","): return .value(.double(try RESPScalar.double(line)))
                case UInt8(ascii: "("): return .value(.bigNumber(try RESPScalar.bigNumber(line)))
                case UInt8(ascii: "$"):
                    return .bulk(type: type, length: try RESPScalar.length(line, type: type, allowsNull: true))
                case UInt8(ascii: "!"), UInt8(ascii: "="):
                    return .bulk(type: type, length: try RESPScalar.length(line, type: type, allowsNull: false))
                case UInt8(ascii: "*"):
                    let count = try RESPScalar.length(line, type: type, allowsNull: true)
                    return count < 0 ? .value(.nullArray) : .aggregate(.array, count: count)
                case UInt8(ascii: "~"): return .aggregate(.set, count: try RESPScalar.length(line, type: type, allowsNull: false))
                case UInt8(ascii: ">"):
                    return .aggregate(.push, count: try RESPScalar.length(line, type: type, allowsNull: false))
                case UInt8(ascii: "%"): return .aggregate(.map, count: try RESPScalar.length(line, type: type, allowsNull: false))
                default:
                    return .aggregate(.attribute, count: try RESPScalar.length(line, type: type, allowsNull: false))
                }
            }
        }
        return try outcome.get()
    }

    /// Consumes a complete bulk payload and its CRLF.
    private mutating func takeBulk(type: UInt8, length: Int) throws(RESPProtocolError) -> RESPValue {
        let start = readIndex
        guard buffer[start + length] == Self.cr && buffer[start + length + 1] == Self.lf else {
            throw .missingCRLF(type: type)
        }
        let outcome = buffer.withUnsafeBytes { raw in
            Result { () throws(RESPProtocolError) -> RESPValue in
                let payload = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                switch type {
                case UInt8(ascii: "$"): return .bulkString(Array(payload))
                case UInt8(ascii: "!"): return .bulkError(Array(payload))
                default: return try RESPScalar.verbatim(payload)
                }
            }
        }
        let value = try outcome.get()
        readIndex = start + length + 2
        pendingBulk = nil
        return value
    }

    /// Counts `count` more wire bytes against the reply in progress.
    private mutating func account(_ count: Int) throws(RESPProtocolError) {
        replyBytes += count
        if replyBytes > limits.maxBufferedBytes { throw .bufferedBytesExceeded(max: limits.maxBufferedBytes) }
    }

    // MARK: Lines

    /// The index of the CR ending the line that starts at `readIndex`, or nil
    /// if its CRLF has not arrived. Searches only bytes not searched before,
    /// and at most `maxLineLength` + 2 of them. The line is too long when its
    /// content (between type byte and CRLF) is, or is known to become, longer
    /// than `maxLineLength`; that verdict is the same for any split.
    private mutating func findLineEnd() throws(RESPProtocolError) -> Int? {
        let contentStart = readIndex + 1
        let available = buffer.count - contentStart
        let window = min(available, limits.maxLineLength + 2)
        let from = max(0, scannedLength)
        let found: Int? = buffer.withUnsafeBytes { raw in
            var offset = from
            while offset + 1 < window {
                let rest = window - offset
                guard let hit = memchr(raw.baseAddress! + contentStart + offset, Int32(Self.cr), rest) else { return nil }
                let index = raw.baseAddress!.distance(to: UnsafeRawPointer(hit)) - contentStart
                if index + 1 >= window { return nil }
                if raw[contentStart + index + 1] == Self.lf { return index }
                offset = index + 1
            }
            return nil
        }
        if let length = found {
            guard length <= limits.maxLineLength else { throw .lineTooLong(max: limits.maxLineLength) }
            return contentStart + length
        }
        // A CR as the last byte may yet start the CRLF, so it is not counted.
        let endsInCR = available > 0 && buffer[buffer.count - 1] == Self.cr
        let knownLength = endsInCR ? available - 1 : available
        guard knownLength <= limits.maxLineLength else { throw .lineTooLong(max: limits.maxLineLength) }
        scannedLength = max(0, available - 1)
        return nil
    }

    // MARK: Aggregates

    /// Pushes a frame for a non-empty aggregate; returns an empty one at once.
    private mutating func startAggregate(_ kind: Frame.Kind, count: Int) -> RESPValue? {
        let elements = kind.isPaired ? count * 2 : count
        if case .attribute = kind, count == 0 {
            stack.append(Frame(kind: .attributed([]), remaining: 1, elements: []))
            return nil
        }
        if elements == 0 {
            switch kind {
            case .set: return .set([])
            case .push: return .push([])
            case .map: return .map([])
            default: return .array([])
            }
        }
        var frame = Frame(kind: kind, remaining: elements, elements: [])
        // Capacity follows what arrives, not what the header claims.
        frame.elements.reserveCapacity(min(elements, 1024))
        stack.append(frame)
        return nil
    }

    /// Adds a finished element to the aggregates it completes; returns the
    /// top-level value once there is one.
    private mutating func finish(_ element: RESPValue) -> RESPValue? {
        var value = element
        while !stack.isEmpty {
            let top = stack.count - 1
            stack[top].elements.append(value)
            stack[top].remaining -= 1
            if stack[top].remaining > 0 { return nil }
            let frame = stack.removeLast()
            switch frame.kind {
            case .array: value = .array(frame.elements)
            case .set: value = .set(frame.elements)
            case .push: value = .push(frame.elements)
            case .map: value = .map(Self.pairs(frame.elements))
            case .attribute:
                stack.append(Frame(kind: .attributed(Self.pairs(frame.elements)), remaining: 1, elements: []))
                return nil
            case .attributed(let attributes):
                switch attributeHandling {
                case .attach: value = .attributed(attributes: attributes, value: frame.elements[0])
                case .skip: value = frame.elements[0]
                }
            }
        }
        return value
    }

    private static func pairs(_ elements: [RESPValue]) -> [RESPPair] {
        var pairs: [RESPPair] = []
        pairs.reserveCapacity(elements.count / 2)
        var index = 0
        while index + 1 < elements.count {
            pairs.append(RESPPair(key: elements[index], value: elements[index + 1]))
            index += 2
        }
        return pairs
    }

    /// Empties the buffer once every byte is consumed: nothing moves, and
    /// storage grown by a large reply is released.
    private mutating func releaseIfDrained() {
        guard readIndex == buffer.count else { return }
        if buffer.capacity > Self.retainedCapacityLimit {
            buffer = []
        } else if readIndex > 0 {
            buffer.removeAll(keepingCapacity: true)
        }
        readIndex = 0
    }
}
