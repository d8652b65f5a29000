@testable import RouterProtocol

/// Frames with their encodings written out by hand, and helpers shared by the
/// codec tests.
enum CodecFixtures {
    /// Every frame type, each with its exact expected bytes.
    static let exactEncodings: [(RouterFrame, [UInt8])] = [
        (
            .hello(version: 2, gateway: "tcp", instance: 0x0102_0304_0506_0708),
            [0, 0, 0, 16, 1, 0, 2, 0, 3, 0x74, 0x63, 0x70, 1, 2, 3, 4, 5, 6, 7, 8]
        ),
        (
            .welcome(version: 0x0102),
            [0, 0, 0, 3, 2, 0x01, 0x02]
        ),
        (
            .join(conn: 0x0102_0304, name: "Mina", room: "dev", options: .plain),
            [
                0, 0, 0, 31, 3, 0x01, 0x02, 0x03, 0x04,
                0, 4, 0x4D, 0x69, 0x6E, 0x61,
                0, 3, 0x64, 0x65, 0x76,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ]
        ),
        (
            // "Zoë" is 4 UTF-8 bytes; the room name is empty; every option set.
            .join(
                conn: 1, name: "Zoë", room: "",
                options: JoinOptions(
                    history: 0x0A0B_0C0D, resume: .init(since: 0x0102_0304_0506_0708, epoch: "e1"), wantsMembers: true,
                    isRejoin: true)),
            [
                0, 0, 0, 30, 3, 0, 0, 0, 1, 0, 4, 0x5A, 0x6F, 0xC3, 0xAB, 0, 0,
                0x0F, 0x0A, 0x0B, 0x0C, 0x0D, 1, 2, 3, 4, 5, 6, 7, 8, 0, 2, 0x65, 0x31,
            ]
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
            .joined(conn: 3, room: 0x0001_0002, grant: JoinGrant(lastOffset: 9, historyFrom: 5, recovered: true, epoch: "ab")),
            [
                0, 0, 0, 30, 6, 0, 0, 0, 3, 0, 1, 0, 2,
                0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 1, 0, 2, 0x61, 0x62,
            ]
        ),
        (
            .rejected(conn: 3, reason: "name taken"),
            [
                0, 0, 0, 17, 7, 0, 0, 0, 3,
                0, 10, 0x6E, 0x61, 0x6D, 0x65, 0x20, 0x74, 0x61, 0x6B, 0x65, 0x6E,
            ]
        ),
        (
            .deliver(room: 2, line: RoomLine(offset: 0x0102, time: 0x0A0B, name: "a", text: Array("b".utf8))),
            [
                0, 0, 0, 27, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x0A, 0x0B, 0, 1,
                0x61, 0x3A, 0x62, 0x0A,
            ]
        ),
        (
            .deliver(room: 0xFFFF_FFFF, line: RoomLine(offset: 1, time: 0, name: "", text: [])),
            [0, 0, 0, 25, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3A, 0x0A]
        ),
        (
            .ack(count: 0x0102_0304_0506_0708),
            [0, 0, 0, 9, 9, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]
        ),
        (.ready(firstSequence: 5), [0, 0, 0, 9, 10, 0, 0, 0, 0, 0, 0, 0, 5]),
        (
            .members(conn: 4, names: ["Bo", "Mina"]),
            [0, 0, 0, 17, 11, 0, 0, 0, 4, 0, 2, 0, 2, 0x42, 0x6F, 0, 4, 0x4D, 0x69, 0x6E, 0x61]
        ),
        (.members(conn: 4, names: []), [0, 0, 0, 7, 11, 0, 0, 0, 4, 0, 0]),
        (
            .presence(room: 6, kind: .leave, time: 0x0102, name: "Bo"),
            [0, 0, 0, 18, 12, 0, 0, 0, 6, 2, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0, 2, 0x42, 0x6F]
        ),
        (
            .fetch(conn: 9, after: 3, through: 0x0102, maxBytes: 0x0001_0000),
            [0, 0, 0, 25, 13, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0, 1, 0, 0]
        ),
        (
            .history(
                conn: 9, next: 7, done: true,
                lines: [
                    RoomLine(offset: 6, time: 1, name: "a", text: Array("x".utf8)),
                    RoomLine(offset: 7, time: 2, name: "bc", text: []),
                ]),
            [
                0, 0, 0, 66, 14, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 7, 1,
                0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 4, 0x61, 0x3A, 0x78, 0x0A,
                0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 4, 0x62, 0x63, 0x3A, 0x0A,
            ]
        ),
        (.history(conn: 1, next: 0, done: false, lines: []), [0, 0, 0, 14, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
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
