extension StoreFrame {
    /// Appends the whole encoded frame (length prefix, type byte, body) to
    /// `buffer`, writing into it directly.
    ///
    /// A `str` field over `StoreProtocol.maxStringLength` bytes, or more than
    /// `StoreProtocol.maxRoomsPerBatch` room definitions, is a programmer error
    /// and traps. The frame size is the sender's to bound (see `maxFrameSize`).
    public func encode(into buffer: inout [UInt8]) {
        let start = StoreFrame.beginFrame(frameType, into: &buffer)
        switch self {
        case .hello(let version, let instance, let retention):
            buffer.appendBigEndian(version)
            buffer.appendBigEndian(instance)
            buffer.appendBigEndian(retention.linesPerRoom)
            buffer.appendBigEndian(retention.ttlMilliseconds)
        case .welcome(let version, let retention, let committedThrough):
            buffer.appendBigEndian(version)
            buffer.appendBigEndian(retention.linesPerRoom)
            buffer.appendBigEndian(retention.ttlMilliseconds)
            buffer.appendBigEndian(committedThrough)
        case .load:
            break
        case .room(let room):
            buffer.appendBigEndian(room.id)
            buffer.appendString(room.name)
            buffer.appendString(room.epoch)
            buffer.appendBigEndian(room.lastOffset)
            buffer.appendBigEndian(room.lastTime)
            buffer.appendBigEndian(room.lineCount)
        case .lines(let room, let lines):
            buffer.appendBigEndian(room)
            for line in lines { line.encode(into: &buffer) }
        case .gateways(let marks):
            buffer.appendBigEndian(UInt32(marks.count))
            for mark in marks {
                buffer.appendBigEndian(mark.instance)
                buffer.appendBigEndian(mark.sequence)
            }
        case .loaded(let summary):
            buffer.appendBigEndian(summary.rooms)
            buffer.appendBigEndian(summary.lines)
            buffer.appendBigEndian(summary.gateways)
        case .append(let batch, let records):
            buffer.appendBigEndian(batch)
            var definitions = 0
            for record in records {
                if case .room = record { definitions += 1 }
                record.encode(into: &buffer)
            }
            precondition(definitions <= StoreProtocol.maxRoomsPerBatch, "APPEND with \(definitions) room definitions")
        case .committed(let through):
            buffer.appendBigEndian(through)
        case .status(let status):
            switch status {
            case .healthy:
                buffer.append(0)
                buffer.appendString("")
            case .failing(let reason):
                buffer.append(1)
                buffer.appendString(reason)
            }
        }
        StoreFrame.finishFrame(startingAt: start, in: &buffer)
    }

    /// The encoded frame as a new array.
    public var encoded: [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }
}

extension StoredLine {
    /// `u64 offset, u64 time, u16 nameLength, u32 textLength, name, text`.
    func encode(into buffer: inout [UInt8]) {
        var name = name
        name.withUTF8 { nameBytes in
            text.withUnsafeBytes { textBytes in
                StoreFrame.appendLine(
                    offset: offset, time: time, name: UnsafeRawBufferPointer(nameBytes), text: textBytes, into: &buffer)
            }
        }
    }
}

extension AppendRecord {
    func encode(into buffer: inout [UInt8]) {
        switch self {
        case .room(let name, let epoch):
            buffer.append(AppendRecordKind.room.rawValue)
            buffer.appendString(name)
            buffer.appendString(epoch)
        case .line(let room, let gateway, let line):
            buffer.append(AppendRecordKind.line.rawValue)
            buffer.appendBigEndian(room)
            buffer.appendBigEndian(gateway.instance)
            buffer.appendBigEndian(gateway.sequence)
            line.encode(into: &buffer)
        case .mark(let room, let lastOffset, let time):
            buffer.append(AppendRecordKind.mark.rawValue)
            buffer.appendBigEndian(room)
            buffer.appendBigEndian(lastOffset)
            buffer.appendBigEndian(time)
        }
    }
}

// MARK: Building frames in place (the hot paths)

extension StoreFrame {
    /// Starts a frame of `type` at the end of `buffer` (length patched by
    /// `finishFrame`); returns where it starts.
    static func beginFrame(_ type: StoreFrameType, into buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        buffer.appendBigEndian(UInt32(0))
        buffer.append(type.rawValue)
        return start
    }

    /// Writes the length prefix of the frame at `start`, which runs to the
    /// end of `buffer`.
    public static func finishFrame(startingAt start: Int, in buffer: inout [UInt8]) {
        let length = buffer.count - start - StoreProtocol.lengthPrefixSize
        precondition(length >= 1 && length <= Int(UInt32.max), "store frame of \(length) bytes")
        let value = UInt32(length)
        buffer[start] = UInt8(truncatingIfNeeded: value >> 24)
        buffer[start + 1] = UInt8(truncatingIfNeeded: value >> 16)
        buffer[start + 2] = UInt8(truncatingIfNeeded: value >> 8)
        buffer[start + 3] = UInt8(truncatingIfNeeded: value)
    }

    /// Starts a LINES frame for `room`; add lines with `appendLine`, then
    /// close it with `finishFrame(startingAt:in:)`. Returns where it starts.
    public static func beginLines(room: UInt64, into buffer: inout [UInt8]) -> Int {
        let start = beginFrame(.lines, into: &buffer)
        buffer.appendBigEndian(room)
        return start
    }

    /// Appends one line (`u64 offset, u64 time, u16 nameLength,
    /// u32 textLength, name, text`) with its bytes borrowed from elsewhere.
    public static func appendLine(
        offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, into buffer: inout [UInt8]
    ) {
        precondition(name.count <= Int(UInt16.max) && text.count <= Int(UInt32.max), "line field too long")
        buffer.appendBigEndian(offset)
        buffer.appendBigEndian(time)
        buffer.appendBigEndian(UInt16(name.count))
        buffer.appendBigEndian(UInt32(text.count))
        buffer.append(contentsOf: name)
        buffer.append(contentsOf: text)
    }

    /// Bytes one line adds to a LINES frame.
    public static func lineSize(nameCount: Int, textCount: Int) -> Int {
        StoreProtocol.lineHeaderSize + nameCount + textCount
    }
}

extension [UInt8] {
    /// Appends `value` in network byte order.
    @inline(__always)
    mutating func appendBigEndian<Value: FixedWidthInteger>(_ value: Value) {
        // Byte by byte: a few single appends cost well under half of one
        // append(contentsOf:) of a raw buffer, and frame headers are many.
        var shift = Value.bitWidth - 8
        while shift >= 0 {
            append(UInt8(truncatingIfNeeded: value >> shift))
            shift -= 8
        }
    }

    /// Appends a `str` field: `u16` byte count, then the UTF-8 bytes.
    mutating func appendString(_ string: String) {
        let count = string.utf8.count
        precondition(count <= StoreProtocol.maxStringLength, "store protocol string of \(count) bytes")
        appendBigEndian(UInt16(count))
        append(contentsOf: string.utf8)
    }
}
