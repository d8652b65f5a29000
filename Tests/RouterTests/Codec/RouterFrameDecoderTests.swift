import Testing

@testable import RouterProtocol

@Suite("RouterFrameDecoder")
struct RouterFrameDecoderTests {
    @Test func everyFrameRoundTripsThroughTheDecoder() throws {
        for frame in CodecFixtures.exactFrames {
            #expect(try CodecFixtures.decodeAll(frame.encoded) == [frame])
        }
    }

    @Test func severalFramesInOneAppendAllComeOut() throws {
        let frames = CodecFixtures.exactFrames
        #expect(try CodecFixtures.decodeAll(CodecFixtures.stream(of: frames)) == frames)
    }

    @Test func streamSplitAtEveryByteOffsetYieldsTheSameFrames() throws {
        let frames = CodecFixtures.exactFrames
        let stream = CodecFixtures.stream(of: frames)
        for split in 0...stream.count {
            var decoder = RouterFrameDecoder()
            decoder.append(contentsOf: Array(stream[..<split]))
            var decoded = try CodecFixtures.drain(&decoder)
            decoder.append(contentsOf: Array(stream[split...]))
            decoded += try CodecFixtures.drain(&decoder)
            #expect(decoded == frames, "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func streamSplitAtEveryPairOfOffsetsYieldsTheSameFrames() throws {
        let frames = CodecFixtures.exactFrames
        let stream = CodecFixtures.stream(of: frames)
        for first in 0...stream.count {
            for second in first...stream.count {
                var decoder = RouterFrameDecoder()
                var decoded: [RouterFrame] = []
                for chunk in [stream[..<first], stream[first..<second], stream[second...]] {
                    chunk.withUnsafeBytes { decoder.append($0) }
                    decoded += try CodecFixtures.drain(&decoder)
                }
                #expect(decoded == frames, "splits at \(first), \(second)")
            }
        }
    }

    @Test func streamFedOneByteAtATimeYieldsTheSameFrames() throws {
        let frames = CodecFixtures.exactFrames
        var decoder = RouterFrameDecoder()
        var decoded: [RouterFrame] = []
        for byte in CodecFixtures.stream(of: frames) {
            decoder.append(contentsOf: [byte])
            decoded += try CodecFixtures.drain(&decoder)
        }
        #expect(decoded == frames)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func partialFrameWaitsAndIsCountedAsBuffered() throws {
        let bytes = RouterFrame.join(conn: 1, name: "Mina", room: "dev", options: .plain).encoded
        var decoder = RouterFrameDecoder()
        #expect(try decoder.next() == nil)
        decoder.append(contentsOf: Array(bytes.dropLast()))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == bytes.count - 1)
        decoder.append(contentsOf: [bytes.last!])
        #expect(try decoder.next() == .join(conn: 1, name: "Mina", room: "dev", options: .plain))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func drainedDecoderReleasesStorageOfALargeFrame() throws {
        let line = RoomLine(offset: 1, time: 2, name: "a", text: [UInt8](repeating: 0x41, count: 200_000))
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: RouterFrame.deliver(room: 1, line: line).encoded)
        #expect(decoder.storageCapacity > RouterFrameDecoder.retainedCapacityLimit)
        #expect(try decoder.next() == .deliver(room: 1, line: line))
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.storageCapacity == 0)
    }

    @Test func drainedDecoderKeepsSmallStorageForReuse() throws {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: RouterFrame.leave(conn: 1).encoded)
        _ = try CodecFixtures.drain(&decoder)
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.storageCapacity > 0)
        #expect(decoder.storageCapacity <= RouterFrameDecoder.retainedCapacityLimit)
    }

    @Test func frameOfExactlyTheMaximumSizeIsAccepted() throws {
        // 1 type byte, 22 bytes of room and line header, "a:" and "\n".
        let text = [UInt8](repeating: 7, count: RouterProtocol.maxFrameSize - 26)
        let line = RoomLine(offset: 9, time: 9, name: "a", text: text)
        let bytes = RouterFrame.deliver(room: 3, line: line).encoded
        #expect(Array(bytes.prefix(4)) == [0x00, 0x10, 0x00, 0x00])
        #expect(try CodecFixtures.decodeAll(bytes) == [.deliver(room: 3, line: line)])
    }
}
