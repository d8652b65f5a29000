import Testing

@testable import StoreProtocol

@Suite("Store frame decoder errors")
struct StoreFrameDecoderErrorTests {
    private func decode(_ bytes: [UInt8]) -> StoreProtocolError? {
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: bytes)
        do {
            _ = try StoreCodecFixtures.drainBorrowing(&decoder)
            return nil
        } catch {
            return error
        }
    }

    @Test func oversizedLengthIsRefusedFromThePrefixAlone() {
        #expect(decode([0x00, 0x10, 0x00, 0x01]) == .frameTooLarge(length: (1 << 20) + 1, max: 1 << 20))
    }

    @Test func frameOfExactlyTheMaximumSizeIsAccepted() throws {
        let text = [UInt8](repeating: 7, count: StoreProtocol.maxFrameSize - 1 - 8 - 22)
        let frame = StoreFrame.lines(room: 1, lines: [StoredLine(offset: 1, time: 2, name: "", text: text)])
        #expect(frame.encoded.count == StoreProtocol.maxFrameSize + 4)
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: frame.encoded)
        #expect(try decoder.next() == frame)
    }

    @Test func zeroLengthIsMalformed() {
        #expect(decode([0, 0, 0, 0]) == .malformed(type: 0, reason: "length 0 leaves no room for the type byte"))
    }

    @Test func unknownTypeIsRefusedAsSoonAsItsByteArrives() {
        #expect(decode([0, 0, 0, 200, 99]) == .unknownType(99))
    }

    @Test func recordNamingAnUndefinedRoomIsMalformed() {
        let bytes: [UInt8] = [0, 0, 0, 28, 8, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0] + [UInt8](repeating: 0, count: 16)
        #expect(decode(bytes) == .malformed(type: 8, reason: "record names room 0 before it is defined"))
    }

    @Test func unknownRecordKindIsMalformed() {
        #expect(decode([0, 0, 0, 10, 8, 0, 0, 0, 0, 0, 0, 0, 1, 9]) == .malformed(type: 8, reason: "unknown record kind 9"))
    }

    @Test func lineCutShortIsMalformed() {
        var bytes = StoreFrame.lines(room: 1, lines: [StoredLine(offset: 1, time: 1, name: "ab", text: [1, 2, 3])]).encoded
        bytes.removeLast()
        bytes[3] -= 1
        #expect(decode(bytes) == .malformed(type: 5, reason: "body ends inside line text"))
    }

    /// A room definition cut inside its name length or its epoch names that
    /// field (field names are now formatted only when an error is thrown).
    @Test func roomDefinitionCutInsideItsNameLengthNamesTheField() {
        let bytes: [UInt8] = [0, 0, 0, 11, 8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0]
        #expect(decode(bytes) == .malformed(type: 8, reason: "body ends inside room name length"))
        let epochCut: [UInt8] = [0, 0, 0, 15, 8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0x61, 0, 5]
        #expect(decode(epochCut) == .malformed(type: 8, reason: "body ends inside room epoch"))
    }

    @Test func invalidUTF8InARoomNameIsMalformed() {
        let bytes: [UInt8] = [0, 0, 0, 15, 8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0xFF, 0, 0]
        #expect(decode(bytes) == .malformed(type: 8, reason: "invalid UTF-8 in room name"))
    }

    @Test func unknownStatusConditionIsMalformed() {
        #expect(decode([0, 0, 0, 4, 10, 2, 0, 0]) == .malformed(type: 10, reason: "unknown status condition 2"))
    }

    @Test func gatewayCountThatDoesNotMatchTheBodyIsMalformed() {
        #expect(
            decode([0, 0, 0, 5, 6, 0xFF, 0xFF, 0xFF, 0xFF])
                == .malformed(type: 6, reason: "count 4294967295 does not match 0 bytes of entries"))
    }

    @Test func trailingBytesAfterAFixedBodyAreMalformed() {
        #expect(decode([0, 0, 0, 10, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA]) == .malformed(type: 9, reason: "1 bytes after the body"))
    }

    @Test func failedDecoderStaysFailedAndDropsLaterBytes() {
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: [0, 0, 0, 1, 77])
        #expect(throws: StoreProtocolError.unknownType(77)) { try decoder.next() }
        decoder.append(contentsOf: StoreFrame.load.encoded)
        #expect(decoder.bufferedByteCount == 0)
        #expect(throws: StoreProtocolError.unknownType(77)) { try decoder.next() }
    }

    @Test func drainedDecoderReleasesTheStorageOfALargeFrame() throws {
        let frame = StoreFrame.lines(
            room: 1, lines: [StoredLine(offset: 1, time: 1, name: "a", text: [UInt8](repeating: 1, count: 200_000))])
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: frame.encoded)
        #expect(try decoder.next() == frame)
        #expect(decoder.storageCapacity == 0)
    }
}
