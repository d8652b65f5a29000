/// Reads the frames a WebSocket server sends (RFC 6455 §5.2: unmasked) and
/// hands each complete data message's lines to a sink.
///
/// The bench does not use `WebSocketStateMachine.receive` on this path: it
/// copies every message into a fresh array and validates UTF-8, which at a
/// million deliveries a second would cost the bench more CPU than the server
/// spends. Frames wholly inside one read are handled in place; only a frame
/// cut by the end of a read is copied into `pending` (reused).
struct ServerFrameReader {
    /// Something other than data that the connection must act on.
    enum Event: Equatable {
        case none
        /// The server sent a close frame with this code (0 if none).
        case close(UInt16)
        /// A protocol violation; close the connection.
        case violation(String)
    }

    /// Payloads of pings received, to be answered with pongs (§5.5.2).
    var pings: [[UInt8]] = []
    /// Bytes of a frame that is not complete yet.
    private var pending: [UInt8] = []
    /// A fragmented message being assembled (§5.4).
    private var fragments: [UInt8] = []
    private var inFragmentedMessage = false
    let maxFrameBytes: Int

    init(maxFrameBytes: Int = 1 << 20) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// The whole size of the frame starting at `bytes` if its header is
    /// complete; -1 if more bytes are needed for the header.
    @inline(__always)
    private static func frameSize(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= 2 else { return -1 }
        let second = bytes[1]
        let mask = second & 0x80 != 0 ? 4 : 0
        switch second & 0x7F {
        case 126:
            guard bytes.count >= 4 else { return -1 }
            return 4 + mask + (Int(bytes[2]) << 8 | Int(bytes[3]))
        case 127:
            guard bytes.count >= 10 else { return -1 }
            var length: UInt64 = 0
            for index in 2..<10 { length = length << 8 | UInt64(bytes[index]) }
            return length > UInt64(Int32.max) ? Int(Int32.max) : 10 + mask + Int(length)
        case let short:
            return 2 + mask + Int(short)
        }
    }

    /// Consumes `bytes`; returns the first close or violation (which ends the
    /// connection, so the rest of the read is dropped). Pings are queued in `pings`.
    mutating func feed<Sink: LineSink>(_ bytes: UnsafeRawBufferPointer, into sink: inout Sink) -> Event {
        var index = 0
        while !pending.isEmpty && index < bytes.count {
            let total = pending.withUnsafeBytes { Self.frameSize($0) }
            if total < 0 {
                pending.append(bytes[index])
                index += 1
                continue
            }
            if total > maxFrameBytes + 14 { return .violation("frame of \(total) bytes is too large") }
            let take = min(total - pending.count, bytes.count - index)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<index + take]))
            index += take
            if pending.count == total {
                var frame: [UInt8] = []
                swap(&frame, &pending)
                let event = frame.withUnsafeBytes { handleFrame($0, into: &sink) }
                frame.removeAll(keepingCapacity: frame.capacity <= 4096)
                swap(&frame, &pending)
                if event != .none { return event }
            }
        }
        while index < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
            let total = Self.frameSize(rest)
            if total > maxFrameBytes + 14 { return .violation("frame of \(total) bytes is too large") }
            if total < 0 || rest.count < total {
                pending.append(contentsOf: rest)
                return .none
            }
            let event = handleFrame(UnsafeRawBufferPointer(rebasing: rest[0..<total]), into: &sink)
            if event != .none { return event }
            index += total
        }
        return .none
    }

    /// Acts on one complete frame.
    @inline(__always)
    private mutating func handleFrame<Sink: LineSink>(_ frame: UnsafeRawBufferPointer, into sink: inout Sink) -> Event {
        let first = frame[0]
        let fin = first & 0x80 != 0
        let opcode = first & 0x0F
        if first & 0x70 != 0 { return .violation("reserved bits set") }
        if frame[1] & 0x80 != 0 { return .violation("masked frame from the server") }
        let headerSize = 2 + (frame[1] & 0x7F == 126 ? 2 : frame[1] & 0x7F == 127 ? 8 : 0)
        let payload = UnsafeRawBufferPointer(rebasing: frame[headerSize...])
        switch opcode {
        case 0x1, 0x2:
            if inFragmentedMessage { return .violation("new message inside a fragmented one") }
            if fin {
                LineSplitter.splitMessage(payload, into: &sink)
            } else {
                inFragmentedMessage = true
                fragments.append(contentsOf: payload)
            }
        case 0x0:
            if !inFragmentedMessage { return .violation("continuation without a message") }
            fragments.append(contentsOf: payload)
            if fragments.count > maxFrameBytes { return .violation("message too large") }
            if fin {
                fragments.withUnsafeBytes { LineSplitter.splitMessage($0, into: &sink) }
                fragments.removeAll(keepingCapacity: fragments.capacity <= 4096)
                inFragmentedMessage = false
            }
        case 0x8:
            return .close(payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 0)
        case 0x9:
            pings.append(Array(payload))
        case 0xA:
            break
        default:
            return .violation("reserved opcode \(opcode)")
        }
        return .none
    }
}
