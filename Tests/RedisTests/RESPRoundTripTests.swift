import Testing

@testable import Redis

/// Randomized values survive encode → split → decode, and the fuzz entry
/// point survives random and mutated input.
@Suite("RESP round trips and fuzzing")
struct RESPRoundTripTests {
    /// A random value of every type, nested at most `depth` levels.
    private func randomValue(_ random: inout TestRandom, depth: Int) -> RESPValue {
        let simple = { (random: inout TestRandom) -> [UInt8] in
            (0..<Int.random(in: 0...12, using: &random)).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) }
        }
        let kind = Int.random(in: 0..<(depth > 0 ? 18 : 12), using: &random)
        switch kind {
        case 0: return .simpleString(simple(&random))
        case 1: return .error(simple(&random))
        case 2: return .integer(Int64.random(in: .min ... .max, using: &random))
        case 3: return .bulkString(random.bytes(Int.random(in: 0...300, using: &random)))
        case 4: return .nullBulkString
        case 5: return .nullArray
        case 6: return .null
        case 7: return .boolean(Bool.random(using: &random))
        case 8:
            let choices: [Double] = [.infinity, -.infinity, .nan, 0, -0.0, 1e-300, 123.456]
            return .double(
                Bool.random(using: &random) ? choices.randomElement(using: &random)! : Double(bitPattern: random.next()))
        case 9: return .bigNumber(Array(String(UInt64.random(in: 0 ... .max, using: &random)).utf8) + Array("123456789".utf8))
        case 10: return .bulkError(random.bytes(Int.random(in: 0...40, using: &random)))
        case 11: return .verbatimString(format: Array("txt".utf8), text: random.bytes(Int.random(in: 0...40, using: &random)))
        default:
            let count = Int.random(in: 0...4, using: &random)
            let children = (0..<count).map { _ in randomValue(&random, depth: depth - 1) }
            switch kind {
            case 12: return .array(children)
            case 13: return .set(children)
            case 14: return .push(children)
            case 15: return .map(children.map { RESPPair(key: $0, value: randomValue(&random, depth: depth - 1)) })
            case 16: return .attributed(attributes: children.map { RESPPair(key: $0, value: .integer(1)) }, value: .integer(7))
            default: return .array([.map([]), .set(children)])
            }
        }
    }

    @Test func randomValuesSurviveEncodingAndDecodingInRandomSplits() throws {
        var random = TestRandom(seed: 0x5EED)
        for round in 0..<200 {
            let values = (0..<Int.random(in: 1...8, using: &random)).map { _ in randomValue(&random, depth: 4) }
            var stream: [UInt8] = []
            for value in values { RESPEncoder.encode(value, into: &stream) }
            let chunks = (0..<8).map { _ in Int.random(in: 1...64, using: &random) }
            let outcome = RESPDecoder.decode(stream, chunks: chunks, limits: RESPDecoderLimits(), attributes: .attach)
            #expect(outcome.error == nil, "round \(round)")
            #expect(outcome.values == values, "round \(round)")
        }
    }

    @Test func fuzzEntryAcceptsEveryFixtureAndTheirPrefixes() {
        let stream = RESPFixtures.stream
        for end in stride(from: 0, through: stream.count, by: 7) {
            Array(stream[..<end]).withUnsafeBytes { RESPDecoder.fuzz($0) }
        }
    }

    @Test func fuzzEntrySurvivesMutatedAndRandomInput() {
        var random = TestRandom(seed: 0xF022)
        let alphabet = Array("+-:$*_#,(!=%~|>0123456789-1\r\n\r\ntfinax.e".utf8)
        let stream = RESPFixtures.stream
        for _ in 0..<1500 {
            var input: [UInt8]
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                input = Array(stream[..<Int.random(in: 0...min(300, stream.count), using: &random)])
                for _ in 0..<Int.random(in: 1...4, using: &random) where !input.isEmpty {
                    input[Int.random(in: 0..<input.count, using: &random)] = alphabet.randomElement(using: &random)!
                }
            case 1:
                input = (0..<Int.random(in: 0...120, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            default:
                input = random.bytes(Int.random(in: 0...64, using: &random))
            }
            input.withUnsafeBytes { RESPDecoder.fuzz($0) }
        }
    }

    @Test func deeplyNestedInputIsRefusedNotRecursedInto() {
        let bytes = Array(String(repeating: "*1\r\n", count: 100_000).utf8)
        let outcome = RESPDecoder.decode(bytes, chunks: [], limits: RESPDecoderLimits(), attributes: .attach)
        #expect(outcome.error == .nestingTooDeep(max: 32))
        bytes.withUnsafeBytes { RESPDecoder.fuzz($0) }
    }
}
