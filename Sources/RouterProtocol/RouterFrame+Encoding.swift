extension RouterFrame {
    /// Appends the complete encoded frame (length prefix, type byte, body) to
    /// `buffer`, writing straight into it with no intermediate arrays.
    ///
    /// A `str` field longer than `RouterProtocol.maxStringLength` bytes is a
    /// programmer error and traps. The encoder does not enforce
    /// `RouterProtocol.maxFrameSize`: senders bound SAY text, DELIVER payloads,
    /// member lists and history batches themselves, since the receiving
    /// decoder rejects a larger frame.
    public func encode(into buffer: inout [UInt8]) {
        let start = buffer.count
        // The length is not known until the body is written; patched below.
        buffer.appendBigEndian(UInt32(0))
        buffer.append(typeCode)
        switch self {
        case .hello(let version, let gateway, let instance):
            buffer.appendBigEndian(version)
            buffer.appendString(gateway)
            buffer.appendBigEndian(instance)
        case .welcome(let version):
            buffer.appendBigEndian(version)
        case .join(let conn, let name, let room, let options):
            buffer.appendBigEndian(conn)
            buffer.appendString(name)
            buffer.appendString(room)
            buffer.append(options.flags)
            buffer.appendBigEndian(options.history ?? 0)
            buffer.appendBigEndian(options.resume?.since ?? 0)
            buffer.appendString(options.resume?.epoch ?? "")
        case .say(let conn, let text):
            buffer.appendBigEndian(conn)
            buffer.append(contentsOf: text)
        case .leave(let conn):
            buffer.appendBigEndian(conn)
        case .joined(let conn, let room, let grant):
            buffer.appendBigEndian(conn)
            buffer.appendBigEndian(room)
            buffer.appendBigEndian(grant.lastOffset)
            buffer.appendBigEndian(grant.historyFrom)
            buffer.append(grant.recovered ? 1 : 0)
            buffer.appendString(grant.epoch)
        case .rejected(let conn, let reason):
            buffer.appendBigEndian(conn)
            buffer.appendString(reason)
        case .deliver(let room, let line):
            buffer.appendBigEndian(room)
            buffer.appendBigEndian(line.offset)
            buffer.appendBigEndian(line.time)
            buffer.appendBigEndian(UInt16(line.name.utf8.count))
            buffer.appendPayload(name: line.name, text: line.text)
        case .ack(let count):
            buffer.appendBigEndian(count)
        case .ready(let firstSequence):
            buffer.appendBigEndian(firstSequence)
        case .members(let conn, let names):
            buffer.appendBigEndian(conn)
            buffer.appendBigEndian(UInt16(names.count))
            for name in names { buffer.appendString(name) }
        case .presence(let room, let kind, let time, let name):
            buffer.appendBigEndian(room)
            buffer.append(kind.rawValue)
            buffer.appendBigEndian(time)
            buffer.appendString(name)
        case .fetch(let conn, let after, let through, let maxBytes):
            buffer.appendBigEndian(conn)
            buffer.appendBigEndian(after)
            buffer.appendBigEndian(through)
            buffer.appendBigEndian(maxBytes)
        case .history(let conn, let next, let done, let lines):
            buffer.appendBigEndian(conn)
            buffer.appendBigEndian(next)
            buffer.append(done ? 1 : 0)
            for line in lines {
                buffer.appendBigEndian(line.offset)
                buffer.appendBigEndian(line.time)
                buffer.appendBigEndian(UInt16(line.name.utf8.count))
                buffer.appendBigEndian(UInt32(line.name.utf8.count + line.text.count + 2))
                buffer.appendPayload(name: line.name, text: line.text)
            }
        }
        buffer.patchFrameLength(frameStart: start)
    }

    /// The complete encoded frame as a new array.
    public var encoded: [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }
}

// MARK: Hot paths

extension RouterFrame {
    /// Appends a DELIVER frame for one ordered line, composing `name:text\n`
    /// directly in `buffer`: the router's hot path, one call per line and
    /// gateway. `name` and `text` are UTF-8 bytes borrowed from elsewhere and
    /// copied with one `memcpy` each.
    public static func appendDeliver(
        room: RoomID, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer,
        into buffer: inout [UInt8]
    ) {
        let payloadCount = name.count + 1 + text.count + 1
        let bodyCount = 4 + 8 + 8 + 2 + payloadCount
        let frameCount = RouterProtocol.lengthPrefixSize + 1 + bodyCount
        if buffer.capacity - buffer.count < frameCount {
            // Geometric growth keeps a buffer filled frame by frame amortised O(1) per byte.
            buffer.reserveCapacity(Swift.max(buffer.count + frameCount, 2 * buffer.capacity))
        }
        precondition(1 + bodyCount <= Int(UInt32.max), "RouterProtocol frame of \(bodyCount) bytes")
        buffer.appendBigEndian(UInt32(1 + bodyCount))
        buffer.append(RouterFrameType.deliver.rawValue)
        buffer.appendBigEndian(room)
        buffer.appendBigEndian(offset)
        buffer.appendBigEndian(time)
        buffer.appendBigEndian(UInt16(name.count))
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(contentsOf: text)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Appends a SAY frame for `conn` with `text` borrowed from a read buffer:
    /// the gateway's hot path, with no intermediate array.
    public static func appendSay(conn: ConnectionID, text: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        buffer.appendBigEndian(UInt32(1 + 4 + text.count))
        buffer.append(RouterFrameType.say.rawValue)
        buffer.appendBigEndian(conn)
        buffer.append(contentsOf: text)
    }

    /// Starts a HISTORY frame for `conn` in `buffer`; returns where it starts.
    /// Append lines with `appendHistoryLine`, then close it with `finishHistory`.
    public static func beginHistory(conn: ConnectionID, into buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        buffer.appendBigEndian(UInt32(0))
        buffer.append(RouterFrameType.history.rawValue)
        buffer.appendBigEndian(conn)
        buffer.appendBigEndian(UInt64(0))
        buffer.append(0)
        return start
    }

    /// Appends one line to the HISTORY frame being built.
    public static func appendHistoryLine(
        offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer,
        into buffer: inout [UInt8]
    ) {
        buffer.appendBigEndian(offset)
        buffer.appendBigEndian(time)
        buffer.appendBigEndian(UInt16(name.count))
        buffer.appendBigEndian(UInt32(name.count + text.count + 2))
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(contentsOf: text)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Writes `next` and `done` into the HISTORY frame at `start` and its length.
    public static func finishHistory(start: Int, next: UInt64, done: Bool, into buffer: inout [UInt8]) {
        var index = start + RouterProtocol.lengthPrefixSize + 1 + 4
        for shift in stride(from: 56, through: 0, by: -8) {
            buffer[index] = UInt8(truncatingIfNeeded: next >> UInt64(shift))
            index += 1
        }
        buffer[index] = done ? 1 : 0
        buffer.patchFrameLength(frameStart: start)
    }

    /// Bytes a history line adds to a HISTORY frame, for batching within a bound.
    public static func historyLineSize(nameCount: Int, textCount: Int) -> Int {
        HistoryLines.lineHeaderSize + nameCount + textCount + 2
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
        precondition(
            count <= RouterProtocol.maxStringLength,
            "RouterProtocol string of \(count) bytes exceeds \(RouterProtocol.maxStringLength)")
        appendBigEndian(UInt16(count))
        append(contentsOf: string.utf8)
    }

    /// Appends `name:text\n`.
    mutating func appendPayload(name: String, text: [UInt8]) {
        append(contentsOf: name.utf8)
        append(UInt8(ascii: ":"))
        append(contentsOf: text)
        append(UInt8(ascii: "\n"))
    }

    /// Writes the length prefix of the frame that starts at `frameStart` and runs
    /// to the end of the array.
    mutating func patchFrameLength(frameStart: Int) {
        let length = count - frameStart - RouterProtocol.lengthPrefixSize
        precondition(length <= Int(UInt32.max), "RouterProtocol frame of \(length) bytes")
        let value = UInt32(length)
        self[frameStart] = UInt8(truncatingIfNeeded: value >> 24)
        self[frameStart + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[frameStart + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[frameStart + 3] = UInt8(truncatingIfNeeded: value)
    }
}
