import Testing

@testable import RouterProtocol

@Suite("RouterFrameDecoder errors")
struct RouterFrameDecoderErrorTests {
    /// Feeds `bytes` and returns the error the decoder throws for them.
    private func decodingError(
        _ bytes: [UInt8], maxFrameSize: Int = RouterProtocol.maxFrameSize
    )
        -> RouterProtocolError?
    {
        var decoder = RouterFrameDecoder(maxFrameSize: maxFrameSize)
        decoder.append(contentsOf: bytes)
        do {
            _ = try CodecFixtures.drain(&decoder)
            return nil
        } catch {
            return error
        }
    }

    @Test func oversizedFrameIsRefusedFromItsHeaderAlone() {
        // 0x00100001 is maxFrameSize + 1, and no body has arrived.
        #expect(
            decodingError([0x00, 0x10, 0x00, 0x01])
                == .frameTooLarge(length: 1_048_577, max: 1_048_576))
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFF])
                == .frameTooLarge(length: 4_294_967_295, max: 1_048_576))
    }

    @Test func headerAnnouncingExactlyTheMaximumWaitsForTheBody() throws {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: [0x00, 0x10, 0x00, 0x00, 8])
        #expect(try decoder.next() == nil)
    }

    @Test func customMaximumFrameSizeIsEnforced() {
        #expect(
            decodingError([0, 0, 0, 17], maxFrameSize: 16) == .frameTooLarge(length: 17, max: 16))
        #expect(decodingError([0, 0, 0, 16, 8], maxFrameSize: 16) == nil)
    }

    @Test func unknownTypeByteIsReported() {
        #expect(decodingError([0, 0, 0, 1, 42]) == .unknownType(42))
        #expect(decodingError([0, 0, 0, 1, 0]) == .unknownType(0))
        #expect(decodingError([0, 0, 0, 3, 15, 0, 1]) == .unknownType(15))
    }

    @Test func unknownTypeIsReportedBeforeTheBodyArrives() {
        #expect(decodingError([0, 0, 0, 100, 200]) == .unknownType(200))
    }

    @Test func lengthZeroIsMalformed() {
        #expect(
            decodingError([0, 0, 0, 0])
                == .malformed(type: 0, reason: "length 0 leaves no room for the type byte"))
    }

    @Test func stringLongerThanTheBodyIsMalformed() {
        // HELLO whose gateway claims 5 bytes but carries 3.
        #expect(
            decodingError([0, 0, 0, 8, 1, 0, 1, 0, 5, 0x74, 0x63, 0x70])
                == .malformed(type: 1, reason: "body ends inside gateway"))
        // JOIN cut inside the room's length prefix.
        #expect(
            decodingError([0, 0, 0, 9, 3, 0, 0, 0, 1, 0, 1, 0x61, 0])
                == .malformed(type: 3, reason: "body ends inside room length"))
    }

    @Test func bodyShorterThanItsFixedLayoutIsMalformed() {
        #expect(
            decodingError([0, 0, 0, 2, 2, 0])
                == .malformed(type: 2, reason: "body ends inside version"))
        #expect(
            decodingError([0, 0, 0, 1, 4])
                == .malformed(type: 4, reason: "body ends inside conn"))
        #expect(
            decodingError([0, 0, 0, 7, 6, 0, 0, 0, 1, 0, 0])
                == .malformed(type: 6, reason: "body ends inside room"))
        #expect(
            decodingError([0, 0, 0, 8, 9, 0, 0, 0, 0, 0, 0, 1])
                == .malformed(type: 9, reason: "body ends inside count"))
    }

    @Test(
        arguments: [
            [0xC3, 0x28],  // lead byte followed by a non-continuation byte
            [0xC0, 0xAF],  // overlong encoding of "/"
            [0xED, 0xA0, 0x80],  // UTF-16 surrogate
            [0xFF],  // never valid in UTF-8
            [0x61, 0xE2, 0x82],  // truncated three-byte sequence
        ] as [[UInt8]])
    func invalidUTF8InAStringIsMalformed(name: [UInt8]) {
        var bytes: [UInt8] = [0, 0, 0, 0, 3, 0, 0, 0, 1, 0, UInt8(name.count)]
        bytes += name
        bytes += [0, 1, 0x72]
        bytes[3] = UInt8(bytes.count - 4)
        #expect(decodingError(bytes) == .malformed(type: 3, reason: "invalid UTF-8 in name"))
    }

    @Test func trailingBytesAfterAFixedLayoutBodyAreMalformed() {
        #expect(
            decodingError([0, 0, 0, 6, 5, 0, 0, 0, 1, 0xFF])
                == .malformed(type: 5, reason: "trailing bytes after the body: 1"))
        #expect(
            decodingError([0, 0, 0, 14, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x20])
                == .malformed(type: 1, reason: "trailing bytes after the body: 1"))
        #expect(
            decodingError([0, 0, 0, 12, 7, 0, 0, 0, 1, 0, 1, 0x78, 0, 0, 0, 0])
                == .malformed(type: 7, reason: "trailing bytes after the body: 4"))
        #expect(
            decodingError([0, 0, 0, 11, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
                == .malformed(type: 9, reason: "trailing bytes after the body: 2"))
    }

    @Test func framesBeforeAnErrorAreStillDelivered() throws {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: RouterFrame.leave(conn: 1).encoded + [0, 0, 0, 1, 99])
        #expect(try decoder.next() == .leave(conn: 1))
        #expect(throws: RouterProtocolError.unknownType(99)) { try decoder.next() }
    }

    @Test func decoderStaysFailedAfterAnError() {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: [0, 0, 0, 0])
        let error = RouterProtocolError.malformed(
            type: 0, reason: "length 0 leaves no room for the type byte")
        #expect(throws: error) { try decoder.next() }
        decoder.append(contentsOf: RouterFrame.leave(conn: 1).encoded)
        #expect(decoder.bufferedByteCount == 0)
        #expect(throws: error) { try decoder.next() }
        #expect(throws: error) { try decoder.next() }
    }

    @Test func errorsDescribeThemselvesForLogs() {
        #expect(
            RouterProtocolError.frameTooLarge(length: 9, max: 8).description
                == "frame of 9 bytes exceeds the maximum of 8")
        #expect(RouterProtocolError.unknownType(42).description == "unknown frame type 42")
        #expect(
            RouterProtocolError.malformed(type: 3, reason: "invalid UTF-8 in name").description
                == "malformed frame of type 3: invalid UTF-8 in name")
    }
}
