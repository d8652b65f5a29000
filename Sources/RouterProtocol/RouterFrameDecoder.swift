/// Incremental decoder for one link: bytes arrive in any split, frames come out
/// whole. Frame sizes are bounded by `maxFrameSize`, checked from the length
/// prefix alone, so an oversized frame is refused before its body is buffered.
///
/// After an error the decoder stays failed: every later `next()` throws the same
/// error and appended bytes are dropped.
public struct RouterFrameDecoder: Sendable {
    /// Largest accepted length prefix (bytes of type + body).
    public let maxFrameSize: Int
    /// Received bytes; those before `readIndex` are already decoded.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: RouterProtocolError?

    /// Storage above this size is released once the buffer drains, so an idle
    /// link does not keep the memory of its largest frame.
    static let retainedCapacityLimit = 64 * 1024

    public init(maxFrameSize: Int = RouterProtocol.maxFrameSize) {
        precondition(maxFrameSize >= 1, "maxFrameSize must allow the type byte")
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes buffered but not yet decoded (for tests and memory accounting).
    public var bufferedByteCount: Int {
        buffer.count - readIndex
    }

    /// Capacity of the internal storage, for tests of its release.
    var storageCapacity: Int {
        buffer.capacity
    }

    /// Adds received bytes; they are copied, so `bytes` need not outlive the call.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        dropDecodedPrefixIfLarge()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(RouterProtocolError) -> RouterFrame? {
        guard let (type, bodyRange) = try nextFrameBounds() else { return nil }
        let decoded = buffer.withUnsafeBytes { raw in
            Result { () throws(RouterProtocolError) -> RouterFrame in
                try RouterFrame.decode(
                    type: type, body: UnsafeRawBufferPointer(rebasing: raw[bodyRange]))
            }
        }
        switch decoded {
        case .success(let frame):
            readIndex = bodyRange.upperBound
            resetIfDrained()
            return frame
        case .failure(let error):
            try fail(error)
        }
    }

    /// Like `next()`, but a SAY, DELIVER or HISTORY frame goes to `handle`
    /// with its bulk bytes borrowed from the decoder's buffer rather than
    /// copied into new arrays (the hot path of the router and the gateways),
    /// and the result is `.borrowed`. Other frames come back decoded, for the
    /// caller to act on outside the decoder.
    ///
    /// The borrowed bytes are valid only during `handle`, which must not use
    /// this decoder.
    public mutating func next(borrowing handle: (RouterFrameView) -> Void) throws(RouterProtocolError) -> RouterDecodeStep {
        guard let (type, bodyRange) = try nextFrameBounds() else { return .needMore }
        switch type {
        case .say, .deliver, .history:
            break
        default:
            guard let frame = try next() else { return .needMore }
            return .frame(frame)
        }
        let error: RouterProtocolError? = buffer.withUnsafeBytes { raw in
            switch Self.borrowedView(type, UnsafeRawBufferPointer(rebasing: raw[bodyRange])) {
            case .success(let view):
                handle(view)
                return nil
            case .failure(let error):
                return error
            }
        }
        if let error { try fail(error) }
        readIndex = bodyRange.upperBound
        resetIfDrained()
        return .borrowed
    }

    /// The view of a SAY, DELIVER or HISTORY body, or why it is malformed.
    private static func borrowedView(
        _ type: RouterFrameType, _ body: UnsafeRawBufferPointer
    ) -> Result<RouterFrameView, RouterProtocolError> {
        func load<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            T(bigEndian: body.loadUnaligned(fromByteOffset: at, as: T.self))
        }
        switch type {
        case .say:
            guard body.count >= 4 else { return .failure(.malformed(type: type.rawValue, reason: "body ends inside conn")) }
            return .success(.say(conn: load(0, UInt32.self), text: UnsafeRawBufferPointer(rebasing: body[4...])))
        case .deliver:
            guard body.count >= 22 else {
                return .failure(.malformed(type: type.rawValue, reason: "body ends inside the line header"))
            }
            let nameLength = Int(load(20, UInt16.self))
            let payload = UnsafeRawBufferPointer(rebasing: body[22...])
            if let problem = LineView.problem(payload, nameLength) {
                return .failure(.malformed(type: type.rawValue, reason: problem))
            }
            let line = LineView(
                offset: load(4, UInt64.self), time: load(12, UInt64.self), payload: payload, nameLength: nameLength)
            return .success(.deliver(room: load(0, UInt32.self), line: line))
        default:
            guard body.count >= 13 else {
                return .failure(.malformed(type: type.rawValue, reason: "body ends inside the history header"))
            }
            let lines = UnsafeRawBufferPointer(rebasing: body[13...])
            if let problem = HistoryLines.problem(in: lines) {
                return .failure(.malformed(type: type.rawValue, reason: problem))
            }
            return .success(
                .history(
                    conn: load(0, UInt32.self), next: load(4, UInt64.self), done: body[12] != 0, lines: HistoryLines(bytes: lines)
                ))
        }
    }

    /// The type and body range of the next complete frame, nil when more
    /// bytes are needed; checks the length and type as soon as they arrive.
    private mutating func nextFrameBounds() throws(RouterProtocolError) -> (RouterFrameType, Range<Int>)? {
        if let failure {
            throw failure
        }
        let available = bufferedByteCount
        let prefix = RouterProtocol.lengthPrefixSize
        guard available >= prefix else {
            resetIfDrained()
            return nil
        }
        let length = Int(loadUInt32(at: readIndex))
        if length > maxFrameSize {
            try fail(.frameTooLarge(length: length, max: maxFrameSize))
        }
        if length == 0 {
            try fail(.malformed(type: 0, reason: "length 0 leaves no room for the type byte"))
        }
        guard available > prefix else {
            return nil
        }
        // Known as soon as the type byte arrives, before the rest of the body.
        let typeByte = buffer[readIndex + prefix]
        guard let type = RouterFrameType(rawValue: typeByte) else {
            try fail(.unknownType(typeByte))
        }
        guard available >= prefix + length else {
            return nil
        }
        return (type, (readIndex + prefix + 1)..<(readIndex + prefix + length))
    }

    private func loadUInt32(at index: Int) -> UInt32 {
        buffer.withUnsafeBytes {
            UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: index, as: UInt32.self))
        }
    }

    /// Records `error` for good and drops the buffered bytes, which are no longer needed.
    private mutating func fail(_ error: RouterProtocolError) throws(RouterProtocolError) -> Never {
        failure = error
        buffer = []
        readIndex = 0
        throw error
    }

    /// Empties the buffer once every byte is decoded: no bytes move, and large
    /// storage is released so idle links stay small.
    private mutating func resetIfDrained() {
        guard readIndex == buffer.count else { return }
        if buffer.capacity > Self.retainedCapacityLimit {
            buffer = []
        } else if readIndex > 0 {
            buffer.removeAll(keepingCapacity: true)
        }
        readIndex = 0
    }

    /// Moves a partial frame to the front once decoded bytes make up at least
    /// half the buffer; each byte then moves at most about once on average.
    private mutating func dropDecodedPrefixIfLarge() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeSubrange(0..<readIndex)
        readIndex = 0
    }
}
