import Testing

@testable import RouterProtocol

/// `next(borrowing:)`, the hot path: SAY, DELIVER and HISTORY bytes are lent
/// from the decoder's buffer instead of copied, and must equal what `next()` decodes.
@Suite("RouterFrameDecoder borrowing")
struct BorrowingDecodeTests {
    /// Decodes `chunks` with `next(borrowing:)`, turning lent frames back into values.
    private func decodeBorrowing(_ chunks: [[UInt8]]) throws(RouterProtocolError) -> [RouterFrame] {
        var decoder = RouterFrameDecoder()
        var frames: [RouterFrame] = []
        for chunk in chunks {
            decoder.append(contentsOf: chunk)
            while true {
                var lent: RouterFrame?
                let step = try decoder.next { view in
                    switch view {
                    case .say(let conn, let text): lent = .say(conn: conn, text: Array(text))
                    case .deliver(let room, let line): lent = .deliver(room: room, line: Self.value(of: line))
                    case .history(let conn, let next, let done, let lines):
                        lent = .history(conn: conn, next: next, done: done, lines: lines.map(Self.value(of:)))
                    }
                }
                switch step {
                case .needMore: break
                case .borrowed: frames.append(lent!)
                case .frame(let frame): frames.append(frame)
                }
                if case .needMore = step { break }
            }
        }
        return frames
    }

    private static func value(of line: LineView) -> RoomLine {
        RoomLine(offset: line.offset, time: line.time, name: String(decoding: line.name, as: UTF8.self), text: Array(line.text))
    }

    @Test func lentFramesEqualDecodedFramesAtEverySplit() throws {
        let frames = CodecFixtures.exactFrames
        let stream = CodecFixtures.stream(of: frames)
        for split in 0...stream.count {
            let decoded = try decodeBorrowing([Array(stream[..<split]), Array(stream[split...])])
            #expect(decoded == frames, "split at \(split)")
        }
    }

    @Test func lentFramesEqualDecodedFramesByteByByte() throws {
        let frames = CodecFixtures.exactFrames
        let stream = CodecFixtures.stream(of: frames)
        #expect(try decodeBorrowing(stream.map { [$0] }) == frames)
    }

    @Test func borrowedSayAndDeliverAreNotReturnedAsFrames() throws {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: RouterFrame.say(conn: 7, text: Array("hi".utf8)).encoded)
        var seen: (ConnectionID, [UInt8])?
        let step = try decoder.next { view in
            if case .say(let conn, let text) = view { seen = (conn, Array(text)) }
        }
        guard case .borrowed = step else {
            Issue.record("expected .borrowed, got \(step)")
            return
        }
        #expect(seen?.0 == 7)
        #expect(seen?.1 == Array("hi".utf8))
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func deliverWhosePayloadDoesNotMatchItsNameLengthIsMalformed() {
        // Name length 3 says the colon is the fourth byte; it is not.
        var bytes = RouterFrame.deliver(room: 1, line: RoomLine(offset: 1, time: 1, name: "ab", text: Array("c".utf8))).encoded
        bytes[26] = 3
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: bytes)
        #expect(
            throws: RouterProtocolError.malformed(type: 8, reason: "line payload is not name:text\\n with the given name length")
        ) {
            _ = try decoder.next { _ in Issue.record("a malformed line was lent out") }
        }
    }

    @Test func historyWithALineRunningPastTheBodyIsMalformed() {
        var bytes = RouterFrame.history(
            conn: 1, next: 1, done: true, lines: [RoomLine(offset: 1, time: 1, name: "a", text: Array("b".utf8))]
        ).encoded
        bytes.removeLast()
        bytes[3] -= 1
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: bytes)
        #expect(throws: RouterProtocolError.malformed(type: 14, reason: "body ends inside a history line")) {
            _ = try decoder.next { _ in Issue.record("a malformed history was lent out") }
        }
    }

    @Test func sayTooShortForItsConnectionIdIsMalformed() {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: [0, 0, 0, 3, 4, 0, 1])
        #expect(throws: RouterProtocolError.malformed(type: 4, reason: "body ends inside conn")) {
            _ = try decoder.next { _ in }
        }
    }
}
