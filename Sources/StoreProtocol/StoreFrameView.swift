/// An APPEND or LINES frame as `StoreFrameDecoder.next(borrowing:)` lends
/// it: the bulk bytes stay in the decoder's buffer, valid only during the
/// handler. Their layout has already been checked.
public enum StoreFrameView {
    case append(batch: UInt64, records: AppendRecords)
    case lines(room: UInt64, lines: StoredLines)
}

/// One line, borrowed.
public struct StoredLineView {
    public let offset: UInt64
    public let time: UInt64
    public let name: UnsafeRawBufferPointer
    public let text: UnsafeRawBufferPointer
    /// The whole line as it was read (`u64 offset, u64 time, u16 nameLength,
    /// u32 textLength, name, text`): what a LINES frame or a store chunk holds.
    public let wire: UnsafeRawBufferPointer

    public init(
        offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, wire: UnsafeRawBufferPointer
    ) {
        self.offset = offset
        self.time = time
        self.name = name
        self.text = text
        self.wire = wire
    }

    /// The line as values (copies the bytes).
    public var value: StoredLine {
        StoredLine(offset: offset, time: time, name: String(decoding: name, as: UTF8.self), text: Array(text))
    }
}

/// The lines of a LINES body (after its room), oldest first.
public struct StoredLines: Sequence {
    /// The lines' bytes.
    public let bytes: UnsafeRawBufferPointer

    /// Wraps bytes the decoder checked (or `problem(in:)` found sound).
    public init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public func makeIterator() -> Iterator { Iterator(reader: BodyReader(type: StoreFrameType.lines.rawValue, bytes: bytes)) }

    /// Yields lines until the bytes end (or stop making sense).
    public struct Iterator: IteratorProtocol {
        var reader: BodyReader

        public mutating func next() -> StoredLineView? {
            guard !reader.isAtEnd else { return nil }
            return try? reader.line()
        }
    }

    /// Nil if `bytes` is a sequence of whole lines, else what is wrong.
    static func problem(in bytes: UnsafeRawBufferPointer) -> StoreProtocolError? {
        var reader = BodyReader(type: StoreFrameType.lines.rawValue, bytes: bytes)
        do {
            while !reader.isAtEnd { _ = try reader.line() }
        } catch {
            return error
        }
        return nil
    }
}

/// One record of an APPEND body, borrowed.
public enum AppendRecordView {
    /// Defines the batch's next room index: UTF-8 name and epoch.
    case room(name: UnsafeRawBufferPointer, epoch: UnsafeRawBufferPointer)
    case line(room: UInt16, gateway: GatewayMark, line: StoredLineView)
    case mark(room: UInt16, lastOffset: UInt64, time: UInt64)
}

/// The records of an APPEND body (after the batch number), in order.
public struct AppendRecords: Sequence {
    /// The records' bytes; a store keeps a copy of them until the batch commits.
    public let bytes: UnsafeRawBufferPointer

    /// Wraps records the decoder checked (a copy of `bytes` handed out
    /// earlier is fine); iteration stops at the first byte that makes no sense.
    public init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public func makeIterator() -> Iterator { Iterator(reader: BodyReader(type: StoreFrameType.append.rawValue, bytes: bytes)) }

    public struct Iterator: IteratorProtocol {
        var reader: BodyReader

        public mutating func next() -> AppendRecordView? {
            guard !reader.isAtEnd else { return nil }
            return try? AppendRecords.record(&reader)
        }
    }

    static func record(_ reader: inout BodyReader) throws(StoreProtocolError) -> AppendRecordView {
        let kindByte: UInt8 = try reader.integer("record kind")
        guard let kind = AppendRecordKind(rawValue: kindByte) else {
            throw .malformed(type: reader.type, reason: "unknown record kind \(kindByte)")
        }
        switch kind {
        case .room:
            return .room(name: try reader.stringBytes("room name"), epoch: try reader.stringBytes("room epoch"))
        case .line:
            let room: UInt16 = try reader.integer("line room")
            let gateway = GatewayMark(
                instance: try reader.integer("gateway instance"), sequence: try reader.integer("gateway sequence"))
            return .line(room: room, gateway: gateway, line: try reader.line())
        case .mark:
            return .mark(
                room: try reader.integer("mark room"), lastOffset: try reader.integer("mark offset"),
                time: try reader.integer("mark time"))
        }
    }

    /// Nil if `bytes` is a sound sequence of records (every room index
    /// defined before its use), else what is wrong.
    static func problem(in bytes: UnsafeRawBufferPointer) -> StoreProtocolError? {
        var reader = BodyReader(type: StoreFrameType.append.rawValue, bytes: bytes)
        var defined = 0
        do throws(StoreProtocolError) {
            while !reader.isAtEnd {
                switch try record(&reader) {
                case .room:
                    defined += 1
                    if defined > StoreProtocol.maxRoomsPerBatch {
                        throw .malformed(
                            type: reader.type, reason: "more than \(StoreProtocol.maxRoomsPerBatch) rooms in one batch")
                    }
                case .line(let room, _, _), .mark(let room, _, _):
                    if Int(room) >= defined {
                        throw .malformed(type: reader.type, reason: "record names room \(room) before it is defined")
                    }
                }
            }
        } catch {
            return error
        }
        return nil
    }
}
