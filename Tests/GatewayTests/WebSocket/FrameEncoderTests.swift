import Testing
import WebSocket

@Suite struct FrameEncoderTests {
    @Test func unmaskedTextMatchesRFC6455Example() {
        // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
        #expect(
            WebSocketFrame.encode(opcode: .text, payload: wsBytes("Hello")) == [
                0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F,
            ])
    }

    @Test func maskedTextMatchesRFC6455Example() {
        // RFC 6455 §5.7: the same message masked with key 37 fa 21 3d.
        let frame = WebSocketFrame.encode(opcode: .text, payload: wsBytes("Hello"), maskingKey: 0x37FA_213D)
        #expect(frame == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func fragmentsAndControlFramesMatchRFC6455Examples() {
        // RFC 6455 §5.7: "Hel" then "lo", and an unmasked ping with body "Hello".
        #expect(
            WebSocketFrame.encode(opcode: .text, payload: wsBytes("Hel"), fin: false) == [0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(WebSocketFrame.encode(opcode: .continuation, payload: wsBytes("lo")) == [0x80, 0x02, 0x6C, 0x6F])
        #expect(
            WebSocketFrame.encode(opcode: .ping, payload: wsBytes("Hello")) == [
                0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F,
            ])
    }

    @Test(arguments: [
        (0, [0x82, 0x00] as [UInt8]),
        (125, [0x82, 0x7D]),
        (126, [0x82, 0x7E, 0x00, 0x7E]),
        (256, [0x82, 0x7E, 0x01, 0x00]),  // RFC 6455 §5.7: 256 bytes binary
        (65535, [0x82, 0x7E, 0xFF, 0xFF]),
        (65536, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]),  // RFC 6455 §5.7: 64 KiB binary
    ])
    func lengthUsesTheShortestEncoding(length: Int, header: [UInt8]) {
        let frame = WebSocketFrame.encode(opcode: .binary, payload: [UInt8](repeating: 0xAB, count: length))
        #expect(Array(frame.prefix(header.count)) == header)
        #expect(frame.count == header.count + length)
        #expect(WebSocketFrame.headerSize(length: length, masked: false) == header.count)
        #expect(WebSocketFrame.headerSize(length: length, masked: true) == header.count + 4)
    }

    @Test func appendHeaderWritesMaskBitAndKey() {
        var buffer: [UInt8] = [0xEE]
        WebSocketFrame.appendHeader(into: &buffer, opcode: .text, length: 300, fin: false, maskingKey: 0x0102_0304)
        #expect(buffer == [0xEE, 0x01, 0xFE, 0x01, 0x2C, 0x01, 0x02, 0x03, 0x04])
    }

    @Test func rawBufferOverloadMatchesCollectionOverload() {
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let viaBuffer = payload.withUnsafeBytes {
            WebSocketFrame.encode(opcode: .binary, payload: $0, maskingKey: 0xDEAD_BEEF)
        }
        #expect(viaBuffer == WebSocketFrame.encode(opcode: .binary, payload: payload, maskingKey: 0xDEAD_BEEF))
    }

    @Test func maskingInPiecesEqualsMaskingAtOnce() {
        let payload = (0..<61).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        let key: UInt32 = 0xA1B2_C3D4
        var whole = payload
        whole.withUnsafeMutableBytes { WebSocketFrame.applyMask(key, to: $0) }
        // Byte-by-byte reference from RFC 6455 §5.3: j = i MOD 4.
        let keyBytes: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4]
        #expect(whole == payload.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] })
        for cut in 0...payload.count {
            var pieces = payload
            pieces.withUnsafeMutableBytes { all in
                WebSocketFrame.applyMask(key, to: UnsafeMutableRawBufferPointer(rebasing: all[..<cut]), offset: 0)
                WebSocketFrame.applyMask(key, to: UnsafeMutableRawBufferPointer(rebasing: all[cut...]), offset: cut)
            }
            #expect(pieces == whole)
        }
    }

    @Test func closePayloadIsCodeThenReason() {
        #expect(WebSocketFrame.closePayload(code: 1001, reason: "bye") == [0x03, 0xE9, 0x62, 0x79, 0x65])
        #expect(WebSocketFrame.closePayload(code: 1000, reason: "") == [0x03, 0xE8])
    }

    @Test func closePayloadReasonIsCutAtACharacterBoundary() {
        // 61 two-byte characters (122 bytes) plus one more would exceed the 123 bytes left.
        let reason = String(repeating: "é", count: 70)
        let payload = WebSocketFrame.closePayload(code: 1000, reason: reason)
        #expect(payload.count == 2 + 122)
        #expect(UTF8Validator.isValid(Array(payload.dropFirst(2))))
    }
}
