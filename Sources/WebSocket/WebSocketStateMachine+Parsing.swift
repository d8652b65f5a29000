/// Frame parsing: header bytes, payload bytes, and the checks RFC 6455 §5 puts on them.
extension WebSocketStateMachine {
    /// Reads header bytes starting at `start`; returns the index after what it consumed.
    mutating func consumeHeader(
        _ bytes: UnsafeRawBufferPointer, from start: Int, _ handle: (WebSocketAction) -> Void
    ) -> Int {
        let available = bytes.count - start
        // Fast path: the whole header is in this read, decode it in place.
        if headerBuffer.isEmpty, available >= 2 {
            let size = WebSocketFrameHeader.size(secondByte: bytes[start + 1])
            if available >= size {
                beginFrame(WebSocketFrameHeader(UnsafeRawBufferPointer(rebasing: bytes[start..<start + size])), handle)
                return start + size
            }
        }
        // Slow path: the header is split across reads; collect it (at most 14 bytes).
        var index = start
        while index < bytes.count {
            headerBuffer.append(bytes[index])
            index += 1
            if headerBuffer.count >= 2, headerBuffer.count == WebSocketFrameHeader.size(secondByte: headerBuffer[1]) {
                let header = headerBuffer.withUnsafeBytes { WebSocketFrameHeader($0) }
                headerBuffer.removeAll(keepingCapacity: true)
                beginFrame(header, handle)
                return index
            }
        }
        return index
    }

    /// Reads payload bytes of the current frame starting at `start`; returns the index
    /// after what it consumed.
    mutating func consumePayload(
        _ bytes: UnsafeRawBufferPointer, from start: Int, _ handle: (WebSocketAction) -> Void
    ) -> Int {
        let count = min(frameLength - frameReceived, bytes.count - start)
        let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
        switch frameTarget {
        case .discard:
            break
        case .control:
            Self.append(chunk, to: &controlPayload, maskingKey: frameMaskingKey, offset: frameReceived)
        case .message:
            let from = messageBytes.count
            Self.append(chunk, to: &messageBytes, maskingKey: frameMaskingKey, offset: frameReceived)
            if messageKind == .text {
                // RFC 6455 §8.1: fail as soon as the text cannot become valid, not at the end.
                let valid = messageBytes.withUnsafeBytes {
                    textValidator.consume(UnsafeRawBufferPointer(rebasing: $0[from...]))
                }
                if !valid {
                    fail(.invalidUTF8InText, handle)
                    return start + count
                }
            }
        }
        frameReceived += count
        if frameReceived == frameLength {
            readingPayload = false
            finishFrame(handle)
        }
        return start + count
    }

    /// Validates a complete header and prepares to read its payload.
    mutating func beginFrame(_ header: WebSocketFrameHeader, _ handle: (WebSocketAction) -> Void) {
        let opcode: WebSocketOpcode
        switch check(header) {
        case .failure(let error):
            fail(error, handle)
            return
        case .success(let valid):
            opcode = valid
        }
        frameOpcode = opcode
        frameFin = header.fin
        frameMaskingKey = header.maskingKey
        frameLength = Int(header.length)
        frameReceived = 0
        if opcode.isControl {
            frameTarget = .control
            controlPayload.removeAll(keepingCapacity: true)
        } else if state != .open {
            // RFC 6455 §5.5.1: after a close was sent, data is no longer processed.
            frameTarget = .discard
        } else {
            frameTarget = .message
            if opcode != .continuation {
                messageKind = opcode == .text ? .text : .binary
                textValidator.reset()
                // Room for the first frame, within a cap so that a peer announcing a large
                // frame and then stalling does not pin that much memory.
                messageBytes.reserveCapacity(min(frameLength, 1 << 16))
            }
        }
        if frameLength == 0 {
            finishFrame(handle)
        } else {
            readingPayload = true
        }
    }

    /// RFC 6455 §5.1, §5.2, §5.4, §5.5: what a header may not say.
    func check(_ header: WebSocketFrameHeader) -> Result<WebSocketOpcode, WebSocketProtocolError> {
        // No extensions are negotiated, so RSV1–3 must be zero (§5.2).
        guard header.reservedBits == 0 else { return .failure(.reservedBitsSet) }
        guard let opcode = WebSocketOpcode(rawValue: header.opcode) else {
            return .failure(.reservedOpcode(header.opcode))
        }
        if opcode.isControl {
            guard header.fin else { return .failure(.fragmentedControlFrame) }
            guard header.length <= 125 else { return .failure(.controlFrameTooLong) }
        }
        switch role {
        case .server where header.maskingKey == nil:
            return .failure(.unmaskedClientFrame)
        case .client where header.maskingKey != nil:
            return .failure(.maskedServerFrame)
        default:
            break
        }
        guard header.length <= UInt64(Int64.max) else { return .failure(.invalidPayloadLength) }
        if !opcode.isControl, state == .open {
            let sizeSoFar: Int
            if opcode == .continuation {
                guard messageKind != nil else { return .failure(.unexpectedContinuation) }
                sizeSoFar = messageBytes.count
            } else {
                guard messageKind == nil else { return .failure(.expectedContinuation) }
                sizeSoFar = 0
            }
            guard header.length <= UInt64(messageLimit - sizeSoFar) else {
                return .failure(firstMessageLimited ? .firstMessageTooBig(limit: messageLimit) : .messageTooBig)
            }
        }
        return .success(opcode)
    }

    /// Acts on a frame whose payload is complete.
    mutating func finishFrame(_ handle: (WebSocketAction) -> Void) {
        switch frameOpcode {
        case .ping:
            // RFC 6455 §5.5.2: answer with a pong carrying the same payload, unless closing.
            if state == .open {
                handle(.send(encodeFrame(opcode: .pong, payload: controlPayload)))
            }
        case .pong:
            handle(.pongReceived)
        case .close:
            receiveClose(handle)
        case .continuation, .text, .binary:
            guard frameTarget == .message, frameFin, let kind = messageKind else { return }
            if kind == .text, !textValidator.isAtCharacterBoundary {
                // The message ends inside a multi-byte character.
                fail(.invalidUTF8InText, handle)
                return
            }
            let message = messageBytes
            messageBytes = []
            messageKind = nil
            if firstMessageLimited {
                firstMessageLimited = false
                messageLimit = maxMessageSize
            }
            handle(.message(kind, message))
        }
    }

    /// Appends `chunk` to `buffer` and unmasks the appended bytes in place, `offset` being
    /// the position of the chunk's first byte in the frame payload (RFC 6455 §5.3).
    static func append(
        _ chunk: UnsafeRawBufferPointer, to buffer: inout [UInt8], maskingKey: UInt32?, offset: Int
    ) {
        let start = buffer.count
        buffer.append(contentsOf: chunk)
        if let key = maskingKey {
            WebSocketFrame.maskInPlace(&buffer, from: start, key: key, offset: offset)
        }
    }
}
