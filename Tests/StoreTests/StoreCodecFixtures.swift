@testable import StoreProtocol

/// Store frames with their encodings written out by hand, byte by byte.
enum StoreCodecFixtures {
    static let appendRecords: [AppendRecord] = [
        .room(name: "dev", epoch: "e1"),
        .line(
            room: 0, gateway: GatewayMark(instance: 1, sequence: 2),
            line: StoredLine(offset: 3, time: 4, name: "M", text: Array("hi".utf8))),
        .mark(room: 0, lastOffset: 9, time: 10),
    ]

    static let appendBytes: [UInt8] = [
        0, 0, 0, 82, 8, 0, 0, 0, 0, 0, 0, 0, 5,
        1, 0, 3, 0x64, 0x65, 0x76, 0, 2, 0x65, 0x31,
        2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
        0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0, 2, 0x4D, 0x68, 0x69,
        3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 10,
    ]

    static let exactEncodings: [(StoreFrame, [UInt8])] = [
        (
            .hello(
                version: 1, instance: 0x0102_0304_0506_0708,
                retention: RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: 86_400_000)),
            [0, 0, 0, 23, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x03, 0xE8, 0, 0, 0, 0, 0x05, 0x26, 0x5C, 0x00]
        ),
        (
            .welcome(version: 1, retention: RetentionSettings(linesPerRoom: 5, ttlMilliseconds: 0x0A0B), committedThrough: 7),
            [0, 0, 0, 23, 2, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x0A, 0x0B, 0, 0, 0, 0, 0, 0, 0, 7]
        ),
        (.load, [0, 0, 0, 1, 3]),
        (
            .room(LoadedRoom(id: 2, name: "dev", epoch: "ab", lastOffset: 9, lastTime: 0x0102, lineCount: 3)),
            [
                0, 0, 0, 38, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0x64, 0x65, 0x76, 0, 2, 0x61, 0x62,
                0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3,
            ]
        ),
        (
            .lines(
                room: 2,
                lines: [
                    StoredLine(offset: 8, time: 1, name: "a", text: Array("x".utf8)),
                    StoredLine(offset: 9, time: 2, name: "bc", text: []),
                ]),
            [
                0, 0, 0, 57, 5, 0, 0, 0, 0, 0, 0, 0, 2,
                0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0x61, 0x78,
                0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0x62, 0x63,
            ]
        ),
        (.lines(room: 1, lines: []), [0, 0, 0, 9, 5, 0, 0, 0, 0, 0, 0, 0, 1]),
        (
            .gateways([GatewayMark(instance: .max, sequence: 3)]),
            [0, 0, 0, 21, 6, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 3]
        ),
        (.gateways([]), [0, 0, 0, 5, 6, 0, 0, 0, 0]),
        (
            .loaded(LoadSummary(rooms: 2, lines: 0x0102, gateways: 1)),
            [0, 0, 0, 17, 7, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1]
        ),
        (.append(batch: 5, records: appendRecords), appendBytes),
        (.append(batch: 1, records: []), [0, 0, 0, 9, 8, 0, 0, 0, 0, 0, 0, 0, 1]),
        (.committed(through: 0x0102), [0, 0, 0, 9, 9, 0, 0, 0, 0, 0, 0, 1, 2]),
        (.status(.healthy), [0, 0, 0, 4, 10, 0, 0, 0]),
        (.status(.failing(reason: "full")), [0, 0, 0, 8, 10, 1, 0, 4, 0x66, 0x75, 0x6C, 0x6C]),
    ]

    static var frames: [StoreFrame] { exactEncodings.map(\.0) }

    static func stream(_ frames: [StoreFrame]) -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in frames { frame.encode(into: &bytes) }
        return bytes
    }

    static func drain(_ decoder: inout StoreFrameDecoder) throws(StoreProtocolError) -> [StoreFrame] {
        var frames: [StoreFrame] = []
        while let frame = try decoder.next() { frames.append(frame) }
        return frames
    }

    /// Decodes with `next(borrowing:)`, turning borrowed views back into values.
    static func drainBorrowing(_ decoder: inout StoreFrameDecoder) throws(StoreProtocolError) -> [StoreFrame] {
        var frames: [StoreFrame] = []
        while true {
            var borrowed: StoreFrame?
            let step = try decoder.next { view in
                switch view {
                case .append(let batch, let records):
                    borrowed = .append(batch: batch, records: records.map(AppendRecord.init))
                case .lines(let room, let lines):
                    borrowed = .lines(room: room, lines: lines.map(\.value))
                }
            }
            switch step {
            case .needMore: return frames
            case .borrowed: frames.append(borrowed!)
            case .frame(let frame): frames.append(frame)
            }
        }
    }

    /// SplitMix64, so randomized tests are reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

extension AppendRecord {
    /// A borrowed record as values.
    init(_ view: AppendRecordView) {
        switch view {
        case .room(let name, let epoch):
            self = .room(name: String(decoding: name, as: UTF8.self), epoch: String(decoding: epoch, as: UTF8.self))
        case .line(let room, let gateway, let line):
            self = .line(room: room, gateway: gateway, line: line.value)
        case .mark(let room, let lastOffset, let time):
            self = .mark(room: room, lastOffset: lastOffset, time: time)
        }
    }
}
