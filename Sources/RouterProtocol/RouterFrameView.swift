/// A SAY, DELIVER or HISTORY frame as `RouterFrameDecoder.next(borrowing:)`
/// hands it out: the bulk bytes stay in the decoder's buffer and are valid
/// only during the handler.
public enum RouterFrameView {
    case say(conn: ConnectionID, text: UnsafeRawBufferPointer)
    case deliver(room: RoomID, line: LineView)
    case history(conn: ConnectionID, next: UInt64, done: Bool, lines: HistoryLines)
}

/// One ordered line, borrowed: `payload` is `name:text\n`, the seed format.
public struct LineView {
    public let offset: UInt64
    public let time: UInt64
    /// The whole `name:text\n`.
    public let payload: UnsafeRawBufferPointer
    /// Bytes of the name at the start of `payload`.
    public let nameLength: Int

    public init(offset: UInt64, time: UInt64, payload: UnsafeRawBufferPointer, nameLength: Int) {
        self.offset = offset
        self.time = time
        self.payload = payload
        self.nameLength = nameLength
    }

    /// The sender's name.
    public var name: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: payload[0..<nameLength])
    }

    /// The text, without the name, colon and newline.
    public var text: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: payload[(nameLength + 1)..<(payload.count - 1)])
    }
}

/// The lines of a HISTORY frame, already checked by the decoder; iterate them
/// in order.
public struct HistoryLines: Sequence {
    /// The frame's bytes after `conn, next, done`.
    let bytes: UnsafeRawBufferPointer

    public func makeIterator() -> Iterator {
        Iterator(bytes: bytes)
    }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        public mutating func next() -> LineView? {
            guard index < bytes.count else { return nil }
            let offset = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let time = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
            let nameLength = Int(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 16, as: UInt16.self)))
            let count = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 18, as: UInt32.self)))
            let start = index + HistoryLines.lineHeaderSize
            index = start + count
            return LineView(
                offset: offset, time: time, payload: UnsafeRawBufferPointer(rebasing: bytes[start..<index]),
                nameLength: nameLength)
        }
    }

    /// `u64 offset, u64 time, u16 nameLength, u32 payloadLength`.
    static let lineHeaderSize = 22

    /// Checks the layout of every line: nil if sound, else what is wrong.
    static func problem(in bytes: UnsafeRawBufferPointer) -> String? {
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= lineHeaderSize else { return "body ends inside a history line header" }
            let nameLength = Int(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 16, as: UInt16.self)))
            let count = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index + 18, as: UInt32.self)))
            let start = index + lineHeaderSize
            guard bytes.count - start >= count else { return "body ends inside a history line" }
            if let problem = LineView.problem(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)]), nameLength) {
                return problem
            }
            index = start + count
        }
        return nil
    }
}

extension LineView {
    /// Checks that `payload` is `name:text\n` with a name of `nameLength` bytes.
    static func problem(_ payload: UnsafeRawBufferPointer, _ nameLength: Int) -> String? {
        guard payload.count >= nameLength + 2, payload[nameLength] == UInt8(ascii: ":"),
            payload[payload.count - 1] == UInt8(ascii: "\n")
        else { return "line payload is not name:text\\n with the given name length" }
        return nil
    }
}

/// What one `RouterFrameDecoder.next(borrowing:)` step produced.
public enum RouterDecodeStep {
    /// No complete frame yet.
    case needMore
    /// A SAY, DELIVER or HISTORY frame went to the handler.
    case borrowed
    /// Any other frame, decoded.
    case frame(RouterFrame)
}
