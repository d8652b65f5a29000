@testable import RouterProtocol

/// Frames with their encodings written out by hand, and helpers shared by the
/// codec tests.
enum CodecFixtures {
    /// Every frame type, each with its exact expected bytes.
    static let exactEncodings: [(RouterFrame, [UInt8])] = [
        (
            .hello(version: 1, gateway: "tcp"),
            [0, 0, 0, 8, 1, 0, 1, 0, 3, 0x74, 0x63, 0x70]
        ),
        (
            .welcome(version: 0x0102),
            [0, 0, 0, 3, 2, 0x01, 0x02]
        ),
        (
            .join(conn: 0x0102_0304, name: "Mina", room: "dev"),
            [
                0, 0, 0, 16, 3, 0x01, 0x02, 0x03, 0x04,
                0, 4, 0x4D, 0x69, 0x6E, 0x61,
                0, 3, 0x64, 0x65, 0x76,
            ]
        ),
        (
            // "Zoë" is 4 UTF-8 bytes; the room name is empty.
            .join(conn: 1, name: "Zoë", room: ""),
            [0, 0, 0, 13, 3, 0, 0, 0, 1, 0, 4, 0x5A, 0x6F, 0xC3, 0xAB, 0, 0]
        ),
        (
            .say(conn: 7, text: Array("hi".utf8)),
            [0, 0, 0, 7, 4, 0, 0, 0, 7, 0x68, 0x69]
        ),
        (
            .say(conn: 7, text: []),
            [0, 0, 0, 5, 4, 0, 0, 0, 7]
        ),
        (
            .leave(conn: 0xDEAD_BEEF),
            [0, 0, 0, 5, 5, 0xDE, 0xAD, 0xBE, 0xEF]
        ),
        (
            .joined(conn: 3, room: 0x0001_0002),
            [0, 0, 0, 9, 6, 0, 0, 0, 3, 0, 1, 0, 2]
        ),
        (
            .rejected(conn: 3, reason: "name taken"),
            [
                0, 0, 0, 17, 7, 0, 0, 0, 3,
                0, 10, 0x6E, 0x61, 0x6D, 0x65, 0x20, 0x74, 0x61, 0x6B, 0x65, 0x6E,
            ]
        ),
        (
            .deliver(room: 2, payload: Array("a:b\n".utf8)),
            [0, 0, 0, 9, 8, 0, 0, 0, 2, 0x61, 0x3A, 0x62, 0x0A]
        ),
        (
            .deliver(room: 0xFFFF_FFFF, payload: []),
            [0, 0, 0, 5, 8, 0xFF, 0xFF, 0xFF, 0xFF]
        ),
        (
            .ack(count: 0x0102_0304_0506_0708),
            [0, 0, 0, 9, 9, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]
        ),
        (.ready, [0, 0, 0, 1, 10]),
    ]

    static var exactFrames: [RouterFrame] {
        exactEncodings.map(\.0)
    }

    /// The encodings of `frames`, back to back, as they would cross the link.
    static func stream(of frames: [RouterFrame]) -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in frames {
            frame.encode(into: &bytes)
        }
        return bytes
    }

    /// Decodes every frame that is complete so far.
    static func drain(
        _ decoder: inout RouterFrameDecoder
    ) throws(RouterProtocolError) -> [RouterFrame] {
        var frames: [RouterFrame] = []
        while let frame = try decoder.next() {
            frames.append(frame)
        }
        return frames
    }

    /// Decodes a whole byte string that must hold complete frames only.
    static func decodeAll(_ bytes: [UInt8]) throws(RouterProtocolError) -> [RouterFrame] {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: bytes)
        return try drain(&decoder)
    }

    /// SplitMix64: a small seeded generator so randomized tests are reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        private var state: UInt64

        init(seed: UInt64) {
            state = seed
        }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
