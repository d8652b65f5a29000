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
            switch Int.random(in: 1...10, using: &generator) {
            case 1: return .hello(version: UInt16(truncatingIfNeeded: number), gateway: string())
            case 2: return .welcome(version: UInt16(truncatingIfNeeded: number))
            case 3: return .join(conn: number, name: string(), room: string())
            case 4: return .say(conn: number, text: bytes())
            case 5: return .leave(conn: number)
            case 6:
                return .joined(
                    conn: number, room: UInt32.random(in: 0...UInt32.max, using: &generator))
            case 7: return .rejected(conn: number, reason: string())
            case 8: return .deliver(room: number, payload: bytes())
            case 9: return .ack(count: UInt64.random(in: 0...UInt64.max, using: &generator))
            default: return .ready
            }
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
