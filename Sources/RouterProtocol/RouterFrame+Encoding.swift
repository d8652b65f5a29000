extension RouterFrame {
    /// Appends the complete encoded frame (length prefix, type byte, body) to
    /// `buffer`, writing straight into it with no intermediate arrays.
    ///
    /// A `str` field longer than `RouterProtocol.maxStringLength` bytes is a
    /// programmer error and traps. The encoder does not enforce
    /// `RouterProtocol.maxFrameSize`: senders bound SAY text and DELIVER payloads
    /// themselves, since the receiving decoder rejects a larger frame.
    public func encode(into buffer: inout [UInt8]) {
        let start = buffer.count
        // The length is not known until the body is written; patched below.
        buffer.appendBigEndian(UInt32(0))
        buffer.append(typeCode)
        switch self {
        case .hello(let version, let gateway):
            buffer.appendBigEndian(version)
            buffer.appendString(gateway)
        case .welcome(let version):
            buffer.appendBigEndian(version)
        case .join(let conn, let name, let room):
            buffer.appendBigEndian(conn)
            buffer.appendString(name)
            buffer.appendString(room)
        case .say(let conn, let text):
            buffer.appendBigEndian(conn)
            buffer.append(contentsOf: text)
        case .leave(let conn):
            buffer.appendBigEndian(conn)
        case .joined(let conn, let room):
            buffer.appendBigEndian(conn)
            buffer.appendBigEndian(room)
        case .rejected(let conn, let reason):
            buffer.appendBigEndian(conn)
            buffer.appendString(reason)
        case .deliver(let room, let payload):
            buffer.appendBigEndian(room)
            buffer.append(contentsOf: payload)
        case .ack(let count):
            buffer.appendBigEndian(count)
        case .ready:
            break
        }
        buffer.patchFrameLength(frameStart: start)
    }

    /// The complete encoded frame as a new array.
    public var encoded: [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    /// Appends a DELIVER frame for `room` whose payload is `name:text\n`,
    /// composed directly in `buffer` without building the payload first. This is
    /// the router's hot path: one call per message and gateway.
    ///
    /// `name` and `text` are UTF-8 bytes. Arrays are the fastest form when the
    /// router already holds them (a member's name, a decoded SAY's text): each is
    /// copied with one `memcpy`. See the `UnsafeRawBufferPointer` overload for
    /// bytes that still live in a read buffer.
    public static func appendDeliver(
        room: RoomID, name: [UInt8], text: [UInt8], into buffer: inout [UInt8]
    ) {
        buffer.appendDeliverHeader(room: room, payloadCount: name.count + 1 + text.count + 1)
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(contentsOf: text)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Same as the array overload, for bytes borrowed from elsewhere (for example
    /// a SAY body still inside the decoder's or a socket's buffer); the bytes are
    /// copied with one `memcpy` each and need not outlive the call.
    public static func appendDeliver(
        room: RoomID, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer,
        into buffer: inout [UInt8]
    ) {
        buffer.appendDeliverHeader(room: room, payloadCount: name.count + 1 + text.count + 1)
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(contentsOf: text)
        buffer.append(UInt8(ascii: "\n"))
    }
}

extension RouterFrame {
    /// Appends a SAY frame for `conn` with `text` borrowed from a read buffer:
    /// the gateway's hot path, with no intermediate array.
    public static func appendSay(conn: ConnectionID, text: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        buffer.appendBigEndian(UInt32(1 + 4 + text.count))
        buffer.append(RouterFrameType.say.rawValue)
        buffer.appendBigEndian(conn)
        buffer.append(contentsOf: text)
    }
}

extension [UInt8] {
    /// Appends `value` in network byte order.
    mutating func appendBigEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
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

    /// Appends the length prefix, type byte and room of a DELIVER frame whose
    /// payload of `payloadCount` bytes the caller appends next. Capacity for the
    /// whole frame is reserved once, growing geometrically so that a buffer
    /// filled frame by frame stays amortised O(1) per byte.
    fileprivate mutating func appendDeliverHeader(room: RoomID, payloadCount: Int) {
        let bodyCount = MemoryLayout<RoomID>.size + payloadCount
        let frameCount = RouterProtocol.lengthPrefixSize + 1 + bodyCount
        if capacity - count < frameCount {
            reserveCapacity(Swift.max(count + frameCount, 2 * capacity))
        }
        precondition(1 + bodyCount <= Int(UInt32.max), "RouterProtocol frame of \(bodyCount) bytes")
        appendBigEndian(UInt32(1 + bodyCount))
        append(RouterFrameType.deliver.rawValue)
        appendBigEndian(room)
    }
}
