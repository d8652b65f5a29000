import Testing

@testable import StoreProtocol

@Suite("Store frame codec")
struct StoreFrameCodecTests {
    @Test func everyFrameEncodesToItsHandWrittenBytes() {
        for (frame, bytes) in StoreCodecFixtures.exactEncodings {
            #expect(frame.encoded == bytes, "\(frame)")
        }
    }

    @Test func everyFrameDecodesFromItsHandWrittenBytes() throws {
        for (frame, bytes) in StoreCodecFixtures.exactEncodings {
            var decoder = StoreFrameDecoder()
            decoder.append(contentsOf: bytes)
            #expect(try StoreCodecFixtures.drain(&decoder) == [frame])
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func borrowingDecodeYieldsTheSameFramesAsDecodingToValues() throws {
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: StoreCodecFixtures.stream(StoreCodecFixtures.frames))
        #expect(try StoreCodecFixtures.drainBorrowing(&decoder) == StoreCodecFixtures.frames)
    }

    /// The store keeps lines as they arrive: a borrowed line's `wire` is
    /// exactly its bytes in the frame, header included.
    @Test func borrowedLineLendsItsWholeWireBytes() throws {
        var buffer: [UInt8] = []
        let frame = StoreFrame.beginLines(room: 7, into: &buffer)
        let lineStart = buffer.count
        Array("Mina".utf8).withUnsafeBytes { name in
            Array("héllo".utf8).withUnsafeBytes { text in
                StoreFrame.appendLine(offset: 42, time: 1_764_628_800_000, name: name, text: text, into: &buffer)
            }
        }
        let expected = Array(buffer[lineStart...])
        StoreFrame.finishFrame(startingAt: frame, in: &buffer)
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: buffer)
        var wires: [[UInt8]] = []
        _ = try decoder.next { view in
            if case .lines(_, let lines) = view { for line in lines { wires.append(Array(line.wire)) } }
        }
        #expect(wires == [expected])
        #expect(expected.count == StoreProtocol.lineHeaderSize + 4 + 6)
    }

    @Test func streamSplitAtEveryByteYieldsTheSameFrames() throws {
        let frames = StoreCodecFixtures.frames
        let stream = StoreCodecFixtures.stream(frames)
        for split in 0...stream.count {
            var decoder = StoreFrameDecoder()
            decoder.append(contentsOf: Array(stream[..<split]))
            var decoded = try StoreCodecFixtures.drainBorrowing(&decoder)
            decoder.append(contentsOf: Array(stream[split...]))
            decoded += try StoreCodecFixtures.drainBorrowing(&decoder)
            #expect(decoded == frames, "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func streamSplitAtEveryPairOfBytesYieldsTheSameFrames() throws {
        let frames = StoreCodecFixtures.frames
        let stream = StoreCodecFixtures.stream(frames)
        for first in stride(from: 0, through: stream.count, by: 1) {
            for second in stride(from: first, through: stream.count, by: 3) {
                var decoder = StoreFrameDecoder()
                var decoded: [StoreFrame] = []
                for chunk in [stream[..<first], stream[first..<second], stream[second...]] {
                    chunk.withUnsafeBytes { decoder.append($0) }
                    decoded += try StoreCodecFixtures.drain(&decoder)
                }
                #expect(decoded == frames, "splits at \(first), \(second)")
            }
        }
    }

    @Test func streamFedOneByteAtATimeYieldsTheSameFrames() throws {
        var decoder = StoreFrameDecoder()
        var decoded: [StoreFrame] = []
        for byte in StoreCodecFixtures.stream(StoreCodecFixtures.frames) {
            decoder.append(contentsOf: [byte])
            decoded += try StoreCodecFixtures.drainBorrowing(&decoder)
        }
        #expect(decoded == StoreCodecFixtures.frames)
    }

    @Test func batchBuilderWritesTheSameBytesAsTheFrameEncoder() {
        var builder = AppendBatchBuilder(batch: 5)
        let name = Array("M".utf8)
        let text = Array("hi".utf8)
        name.withUnsafeBytes { n in
            text.withUnsafeBytes { t in
                builder.appendLine(
                    room: "dev", epoch: "e1", offset: 3, time: 4, name: n, text: t, gateway: GatewayMark(instance: 1, sequence: 2)
                )
            }
        }
        builder.appendMark(room: "dev", epoch: "e1", lastOffset: 9, time: 10)
        #expect(builder.finish() == StoreCodecFixtures.appendBytes)
        #expect(builder.recordCount == 2)
        #expect(builder.roomCount == 1)
    }

    @Test func batchBuilderDefinesEachRoomOnceAndAgainForANewEpoch() throws {
        var builder = AppendBatchBuilder(batch: 9)
        let plan: [(String, String, UInt64)] = [
            ("dev", "e1", 1), ("dev", "e1", 2), ("ops", "x", 7), ("dev", "e2", 1), ("ops", "x", 8), ("dev", "e2", 2),
        ]
        for (room, epoch, offset) in plan {
            let text = Array("t\(offset)".utf8)
            [UInt8]().withUnsafeBytes { n in
                text.withUnsafeBytes { t in
                    builder.appendLine(room: room, epoch: epoch, offset: offset, time: offset, name: n, text: t, gateway: .none)
                }
            }
        }
        func line(_ room: UInt16, _ offset: UInt64) -> AppendRecord {
            .line(
                room: room, gateway: .none,
                line: StoredLine(offset: offset, time: offset, name: "", text: Array("t\(offset)".utf8)))
        }
        let expected: [AppendRecord] = [
            .room(name: "dev", epoch: "e1"), line(0, 1), line(0, 2), .room(name: "ops", epoch: "x"), line(1, 7),
            .room(name: "dev", epoch: "e2"), line(2, 1), line(1, 8), line(2, 2),
        ]
        let bytes = builder.finish()
        #expect(bytes == StoreFrame.append(batch: 9, records: expected).encoded)
        var decoder = StoreFrameDecoder()
        decoder.append(contentsOf: bytes)
        #expect(try decoder.next() == .append(batch: 9, records: expected))
    }

    @Test func randomFramesRoundTripThroughRandomSplits() throws {
        var random = StoreCodecFixtures.SeededGenerator(state: 42)
        for _ in 0..<200 {
            var frames: [StoreFrame] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) { frames.append(Self.randomFrame(&random)) }
            let stream = StoreCodecFixtures.stream(frames)
            var decoder = StoreFrameDecoder()
            var decoded: [StoreFrame] = []
            var index = 0
            while index < stream.count {
                let end = min(stream.count, index + Int.random(in: 1...64, using: &random))
                decoder.append(contentsOf: Array(stream[index..<end]))
                decoded += try StoreCodecFixtures.drainBorrowing(&decoder)
                index = end
            }
            #expect(decoded == frames)
        }
    }

    static func randomString(_ random: inout StoreCodecFixtures.SeededGenerator) -> String {
        let alphabet = Array("abcXYZ09 :é€😀\"\\")
        return String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func randomLine(_ random: inout StoreCodecFixtures.SeededGenerator) -> StoredLine {
        StoredLine(
            offset: random.next(), time: random.next(), name: randomString(&random),
            text: (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    static func randomFrame(_ random: inout StoreCodecFixtures.SeededGenerator) -> StoreFrame {
        switch Int.random(in: 0..<10, using: &random) {
        case 0:
            return .hello(
                version: 1, instance: random.next(), retention: RetentionSettings(linesPerRoom: 9, ttlMilliseconds: random.next())
            )
        case 1:
            return .welcome(
                version: 1, retention: RetentionSettings(linesPerRoom: 0, ttlMilliseconds: 1), committedThrough: random.next())
        case 2: return .load
        case 3:
            return .room(
                LoadedRoom(
                    id: random.next(), name: randomString(&random), epoch: randomString(&random), lastOffset: random.next(),
                    lastTime: 3, lineCount: 4))
        case 4:
            return .lines(
                room: random.next(), lines: (0..<Int.random(in: 0...5, using: &random)).map { _ in randomLine(&random) })
        case 5:
            return .gateways(
                (0..<Int.random(in: 0...5, using: &random)).map { _ in
                    GatewayMark(instance: random.next(), sequence: random.next())
                })
        case 6: return .loaded(LoadSummary(rooms: 1, lines: random.next(), gateways: 2))
        case 7:
            var records: [AppendRecord] = []
            var rooms = 0
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                switch Int.random(in: 0..<3, using: &random) {
                case 0:
                    records.append(.room(name: randomString(&random), epoch: randomString(&random)))
                    rooms += 1
                case 1 where rooms > 0:
                    records.append(
                        .line(
                            room: UInt16.random(in: 0..<UInt16(rooms), using: &random),
                            gateway: GatewayMark(instance: random.next(), sequence: random.next()), line: randomLine(&random)))
                case 2 where rooms > 0:
                    records.append(.mark(room: UInt16(rooms - 1), lastOffset: random.next(), time: random.next()))
                default: break
                }
            }
            return .append(batch: random.next(), records: records)
        case 8: return .committed(through: random.next())
        default: return .status(Bool.random(using: &random) ? .healthy : .failing(reason: randomString(&random)))
        }
    }
}
