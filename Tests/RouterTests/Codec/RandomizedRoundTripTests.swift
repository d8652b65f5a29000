import Testing

@testable import RouterProtocol

@Suite("Randomized round trips")
struct RandomizedRoundTripTests {
    /// Builds random frames of every type, with strings drawn from ASCII and
    /// multi-byte scalars and payloads that are often empty.
    struct FrameSource {
        var generator: CodecFixtures.SeededGenerator

        private static let scalars: [Unicode.Scalar] = [
            "a", "Z", "0", " ", ":", "\n", "\u{0}", "é", "ß", "ñ", "Ж", "ع", "日", "本",
            "\u{301}", "\u{FFFD}", "😀", "🇫", "\u{10FFFF}",
        ]

        mutating func string() -> String {
            let count = Int.random(in: 0...24, using: &generator)
            var result = ""
            for _ in 0..<count {
                result.unicodeScalars.append(Self.scalars.randomElement(using: &generator)!)
            }
            return result
        }

        mutating func bytes() -> [UInt8] {
            let count: Int
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<3: count = 0
            case 9: count = Int.random(in: 0...4_000, using: &generator)
            default: count = Int.random(in: 1...80, using: &generator)
            }
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }

        mutating func frame() -> RouterFrame {
            let number = UInt32.random(in: 0...UInt32.max, using: &generator)
            let wide = UInt64.random(in: 0...UInt64.max, using: &generator)
            switch Int.random(in: 1...14, using: &generator) {
            case 1: return .hello(version: UInt16(truncatingIfNeeded: number), gateway: string(), instance: wide)
            case 2: return .welcome(version: UInt16(truncatingIfNeeded: number))
            case 3: return .join(conn: number, name: string(), room: string(), options: options())
            case 4: return .say(conn: number, text: bytes())
            case 5: return .leave(conn: number)
            case 6:
                return .joined(
                    conn: number, room: UInt32.random(in: 0...UInt32.max, using: &generator),
                    grant: JoinGrant(lastOffset: wide, historyFrom: wide / 2, recovered: number & 1 == 1, epoch: string()))
            case 7: return .rejected(conn: number, reason: string())
            case 8: return .deliver(room: number, line: line())
            case 9: return .ack(count: wide)
            case 10: return .ready(firstSequence: wide)
            case 11: return .members(conn: number, names: (0..<Int(number % 5)).map { _ in string() })
            case 12: return .presence(room: number, kind: number & 1 == 0 ? .join : .leave, time: wide, name: string())
            case 13: return .fetch(conn: number, after: wide / 3, through: wide, maxBytes: number)
            default:
                return .history(conn: number, next: wide, done: number & 1 == 0, lines: (0..<Int(number % 4)).map { _ in line() })
            }
        }

        mutating func line() -> RoomLine {
            RoomLine(
                offset: UInt64.random(in: 0...UInt64.max, using: &generator),
                time: UInt64.random(in: 0...UInt64.max, using: &generator), name: string(), text: bytes())
        }

        mutating func options() -> JoinOptions {
            let flags = Int.random(in: 0..<16, using: &generator)
            return JoinOptions(
                history: flags & 1 != 0 ? UInt32.random(in: 0...UInt32.max, using: &generator) : nil,
                resume: flags & 2 != 0
                    ? .init(since: UInt64.random(in: 0...UInt64.max, using: &generator), epoch: string()) : nil,
                wantsMembers: flags & 4 != 0, isRejoin: flags & 8 != 0)
        }
    }

    @Test(arguments: [1, 7, 42, 2024] as [UInt64])
    func randomFramesRoundTripThroughRandomChunks(seed: UInt64) throws {
        var source = FrameSource(generator: CodecFixtures.SeededGenerator(seed: seed))
        let frames = (0..<3_000).map { _ in source.frame() }

        for frame in frames {
            #expect(try CodecFixtures.decodeAll(frame.encoded) == [frame])
        }

        let stream = CodecFixtures.stream(of: frames)
        var decoder = RouterFrameDecoder()
        var decoded: [RouterFrame] = []
        var offset = 0
        while offset < stream.count {
            let chunk = Int.random(in: 1...512, using: &source.generator)
            let end = min(offset + chunk, stream.count)
            stream[offset..<end].withUnsafeBytes { decoder.append($0) }
            decoded += try CodecFixtures.drain(&decoder)
            offset = end
        }
        #expect(decoded.count == frames.count)
        #expect(decoded == frames, "seed \(seed)")
        #expect(decoder.bufferedByteCount == 0)
    }
}
