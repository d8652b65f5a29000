/// Incremental decoder for one link: bytes arrive in any split, frames come
/// out whole. The length prefix is checked against `maxFrameSize` as soon as
/// it arrives, so an oversized frame is refused before its body is buffered.
///
/// After an error the decoder stays failed: every later call throws the
/// same error and appended bytes are dropped.
public struct StoreFrameDecoder: Sendable {
    /// Largest accepted length prefix (type byte and body).
    public let maxFrameSize: Int
    private var buffer: [UInt8] = []
    /// Bytes before this index are decoded.
    private var readIndex = 0
    private var failure: StoreProtocolError?

    /// Storage above this is released once the buffer drains, so an idle
    /// link does not keep the memory of its largest frame.
    static let retainedCapacityLimit = 64 * 1024

    public init(maxFrameSize: Int = StoreProtocol.maxFrameSize) {
        precondition(maxFrameSize >= 1, "maxFrameSize must allow the type byte")
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not decoded yet.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Capacity of the storage (for tests of its release).
    var storageCapacity: Int { buffer.capacity }

    /// Adds received bytes (copied).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame as values, or nil until more bytes arrive.
    public mutating func next() throws(StoreProtocolError) -> StoreFrame? {
        guard let (type, body) = try nextFrameBounds() else { return nil }
        let result = buffer.withUnsafeBytes { raw in
            Result { () throws(StoreProtocolError) -> StoreFrame in
                try StoreFrame.decode(type: type, body: UnsafeRawBufferPointer(rebasing: raw[body]))
            }
        }
        switch result {
        case .success(let frame):
            consume(through: body.upperBound)
            return frame
        case .failure(let error):
            try fail(error)
        }
    }

    /// Like `next()`, but an APPEND or LINES frame goes to `handle` with its
    /// bytes borrowed from the decoder's buffer (no copy, no array per
    /// line), and the step is `.borrowed`. Other frames come back decoded.
    /// The borrowed bytes are valid only during `handle`, which must not use
    /// this decoder.
    public mutating func next(borrowing handle: (StoreFrameView) -> Void) throws(StoreProtocolError) -> StoreDecodeStep {
        guard let (type, body) = try nextFrameBounds() else { return .needMore }
        guard type == .append || type == .lines else {
            guard let frame = try next() else { return .needMore }
            return .frame(frame)
        }
        let problem: StoreProtocolError? = buffer.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[body])
            guard bytes.count >= 8 else {
                return .malformed(type: type.rawValue, reason: "body ends inside the \(type == .append ? "batch" : "room")")
            }
            let number = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
            let rest = UnsafeRawBufferPointer(rebasing: bytes[8...])
            if type == .append {
                if let problem = AppendRecords.problem(in: rest) { return problem }
                handle(.append(batch: number, records: AppendRecords(bytes: rest)))
            } else {
                if let problem = StoredLines.problem(in: rest) { return problem }
                handle(.lines(room: number, lines: StoredLines(bytes: rest)))
            }
            return nil
        }
        if let problem { try fail(problem) }
        consume(through: body.upperBound)
        return .borrowed
    }

    /// The type and body range of the next whole frame; nil while bytes are
    /// missing. Length and type are checked as soon as they are there.
    private mutating func nextFrameBounds() throws(StoreProtocolError) -> (StoreFrameType, Range<Int>)? {
        if let failure { throw failure }
        let available = bufferedByteCount
        let prefix = StoreProtocol.lengthPrefixSize
        guard available >= prefix else { return nil }
        let length = buffer.withUnsafeBytes {
            Int(UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: readIndex, as: UInt32.self)))
        }
        if length > maxFrameSize { try fail(.frameTooLarge(length: length, max: maxFrameSize)) }
        if length == 0 { try fail(.malformed(type: 0, reason: "length 0 leaves no room for the type byte")) }
        guard available > prefix else { return nil }
        let typeByte = buffer[readIndex + prefix]
        guard let type = StoreFrameType(rawValue: typeByte) else { try fail(.unknownType(typeByte)) }
        guard available >= prefix + length else { return nil }
        return (type, (readIndex + prefix + 1)..<(readIndex + prefix + length))
    }

    private mutating func consume(through end: Int) {
        readIndex = end
        guard readIndex == buffer.count else { return }
        if buffer.capacity > Self.retainedCapacityLimit {
            buffer = []
        } else {
            buffer.removeAll(keepingCapacity: true)
        }
        readIndex = 0
    }

    private mutating func fail(_ error: StoreProtocolError) throws(StoreProtocolError) -> Never {
        failure = error
        buffer = []
        readIndex = 0
        throw error
    }

    /// Moves a partial frame to the front once decoded bytes are at least
    /// half the buffer, so each byte moves about once on average.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeSubrange(0..<readIndex)
        readIndex = 0
    }
}

/// What one `StoreFrameDecoder.next(borrowing:)` step produced.
public enum StoreDecodeStep {
    /// No whole frame yet.
    case needMore
    /// An APPEND or LINES frame went to the handler.
    case borrowed
    /// Any other frame, decoded.
    case frame(StoreFrame)
}
