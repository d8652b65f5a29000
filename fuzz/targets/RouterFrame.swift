@testable import RouterProtocol

/// libFuzzer entry: the gateway ⇄ router link decoder (`RouterFrameDecoder`),
/// through `next()` and through `next(borrowing:)`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    RouterFrameFuzzer.run(Array(UnsafeRawBufferPointer(start: data, count: size)))
    return 0
}

/// Checks on every input, with the default and with a tiny frame limit:
/// - `next()` yields the same frames and the same error whole, byte by byte
///   and in the other splits of `FuzzSplits`; so does `next(borrowing:)`.
/// - Both ways agree: a borrowed SAY, DELIVER or HISTORY view holds the same
///   fields as the frame `next()` decodes, other frames are identical. The one
///   allowed difference: `next()` refuses a line whose name is not UTF-8, which
///   the borrowing path (for the hot path) does not look at.
/// - Every decoded frame survives `decode(encode(frame))`, and DELIVER, SAY
///   and HISTORY also through the hot-path encoders (`appendDeliver`,
///   `appendSay`, `beginHistory`/`appendHistoryLine`/`finishHistory`).
/// - After an error the decoder stays failed with the same error and holds no bytes.
enum RouterFrameFuzzer {
    /// A frame as either decoding path sees it; names of lines stay bytes so a
    /// borrowed view with a non-UTF-8 name can still be compared.
    enum Item: Equatable {
        case frame(RouterFrame)
        case say(conn: ConnectionID, text: [UInt8])
        case deliver(room: RoomID, line: Line)
        case history(conn: ConnectionID, next: UInt64, done: Bool, lines: [Line])
    }

    struct Line: Equatable {
        var offset: UInt64
        var time: UInt64
        var name: [UInt8]
        var text: [UInt8]
    }

    struct Outcome: Equatable {
        var items: [Item] = []
        var error: RouterProtocolError?
    }

    static func run(_ bytes: [UInt8]) {
        let tiny = Int(bytes.first ?? 0) % 64 + 1
        for maxFrameSize in [RouterProtocol.maxFrameSize, tiny] {
            let whole = decode(bytes, pattern: [], maxFrameSize: maxFrameSize, borrowing: false)
            let wholeBorrowed = decode(bytes, pattern: [], maxFrameSize: maxFrameSize, borrowing: true)
            for pattern in FuzzSplits.patterns(for: bytes) {
                let split = decode(bytes, pattern: pattern, maxFrameSize: maxFrameSize, borrowing: false)
                invariant(split == whole, "next() depends on the split \(pattern): \(split) vs \(whole)")
                let borrowed = decode(bytes, pattern: pattern, maxFrameSize: maxFrameSize, borrowing: true)
                invariant(
                    borrowed == wholeBorrowed, "next(borrowing:) depends on the split \(pattern): \(borrowed) vs \(wholeBorrowed)"
                )
            }
            compare(whole, wholeBorrowed)
            for case .frame(let frame) in whole.items {
                checkRoundTrip(frame)
                _ = frame.description
            }
            if let error = whole.error { _ = error.description }
        }
    }

    /// Feeds `bytes` in pieces, taking every complete frame after each, as a link does.
    static func decode(_ bytes: [UInt8], pattern: [Int], maxFrameSize: Int, borrowing: Bool) -> Outcome {
        var decoder = RouterFrameDecoder(maxFrameSize: maxFrameSize)
        var outcome = Outcome()
        FuzzSplits.forEachChunk(of: bytes, pattern: pattern) { chunk in
            decoder.append(chunk)
            do throws(RouterProtocolError) {
                if borrowing {
                    while true {
                        var view: Item?
                        let step = try decoder.next(borrowing: { view = item(of: $0) })
                        switch step {
                        case .needMore:
                            invariant(view == nil, "a view was handed out for .needMore")
                            return true
                        case .borrowed:
                            guard let view else { fatalError("fuzz invariant violated: .borrowed without a view") }
                            outcome.items.append(view)
                        case .frame(let frame):
                            invariant(view == nil, "a view was handed out with a decoded frame")
                            outcome.items.append(.frame(frame))
                        }
                    }
                } else {
                    while let frame = try decoder.next() { outcome.items.append(.frame(frame)) }
                }
            } catch {
                outcome.error = error
                checkStaysFailed(&decoder, error, leftover: chunk)
                return false
            }
            return true
        }
        return outcome
    }

    static func item(of view: RouterFrameView) -> Item {
        switch view {
        case .say(let conn, let text):
            return .say(conn: conn, text: Array(text))
        case .deliver(let room, let line):
            return .deliver(room: room, line: Line(line))
        case .history(let conn, let next, let done, let lines):
            return .history(conn: conn, next: next, done: done, lines: lines.map(Line.init))
        }
    }

    /// The frame `next()` decodes, in the shape the borrowing path reports it.
    static func borrowedShape(_ frame: RouterFrame) -> Item {
        switch frame {
        case .say(let conn, let text):
            return .say(conn: conn, text: text)
        case .deliver(let room, let line):
            return .deliver(room: room, line: Line(line))
        case .history(let conn, let next, let done, let lines):
            return .history(conn: conn, next: next, done: done, lines: lines.map(Line.init))
        default:
            return .frame(frame)
        }
    }

    static func compare(_ decoded: Outcome, _ borrowed: Outcome) {
        let expected = decoded.items.map { item -> Item in
            guard case .frame(let frame) = item else { fatalError("fuzz invariant violated: next() gave a view") }
            return borrowedShape(frame)
        }
        let common = min(expected.count, borrowed.items.count)
        invariant(
            Array(expected[..<common]) == Array(borrowed.items[..<common]),
            "next() and next(borrowing:) disagree: \(expected) vs \(borrowed.items)")
        if expected.count == borrowed.items.count {
            invariant(
                sameFailure(decoded.error, borrowed.error),
                "next() failed with \(String(describing: decoded.error)), next(borrowing:) with \(String(describing: borrowed.error))"
            )
            return
        }
        // Only a line name that is not UTF-8 may stop next() where the borrowing path goes on.
        invariant(
            expected.count < borrowed.items.count, "next(borrowing:) stopped early: \(borrowed) vs \(decoded)")
        guard case .malformed(_, let reason) = decoded.error, reason == "invalid UTF-8 in name" else {
            fatalError(
                "fuzz invariant violated: next() stopped with \(String(describing: decoded.error)) where next(borrowing:) went on"
            )
        }
        let extra = borrowed.items[common]
        let names: [[UInt8]]
        switch extra {
        case .deliver(_, let line): names = [line.name]
        case .history(_, _, _, let lines): names = lines.map(\.name)
        default: names = []
        }
        invariant(
            names.contains { String(validating: $0, as: UTF8.self) == nil },
            "next() refused a name as invalid UTF-8 in \(extra), which has none")
    }

    /// The two paths word the reason of a malformed frame each their own way;
    /// the kind of error and the frame type must match.
    static func sameFailure(_ left: RouterProtocolError?, _ right: RouterProtocolError?) -> Bool {
        switch (left, right) {
        case (.malformed(let leftType, _), .malformed(let rightType, _)): return leftType == rightType
        default: return left == right
        }
    }

    static func checkStaysFailed(
        _ decoder: inout RouterFrameDecoder, _ error: RouterProtocolError, leftover: UnsafeRawBufferPointer
    ) {
        invariant(decoder.bufferedByteCount == 0, "a failed decoder holds \(decoder.bufferedByteCount) bytes")
        decoder.append(leftover)
        invariant(decoder.bufferedByteCount == 0, "a failed decoder took more bytes")
        do {
            let frame = try decoder.next()
            fatalError("fuzz invariant violated: a failed decoder decoded \(String(describing: frame))")
        } catch let again {
            invariant(again == error, "a failed decoder changed its error from \(error) to \(again)")
        }
    }

    static func checkRoundTrip(_ frame: RouterFrame) {
        var encoded = frame.encoded
        invariant(decodeOne(encoded) == frame, "decode(encode(\(frame))) differs")
        encoded.removeAll(keepingCapacity: true)
        switch frame {
        case .deliver(let room, let line):
            Array(line.name.utf8).withUnsafeBytes { name in
                line.text.withUnsafeBytes { text in
                    RouterFrame.appendDeliver(
                        room: room, offset: line.offset, time: line.time, name: name, text: text, into: &encoded)
                }
            }
        case .say(let conn, let text):
            text.withUnsafeBytes { RouterFrame.appendSay(conn: conn, text: $0, into: &encoded) }
        case .history(let conn, let next, let done, let lines):
            let start = RouterFrame.beginHistory(conn: conn, into: &encoded)
            for line in lines {
                Array(line.name.utf8).withUnsafeBytes { name in
                    line.text.withUnsafeBytes { text in
                        RouterFrame.appendHistoryLine(
                            offset: line.offset, time: line.time, name: name, text: text, into: &encoded)
                    }
                }
            }
            RouterFrame.finishHistory(start: start, next: next, done: done, into: &encoded)
        default:
            return
        }
        invariant(decodeOne(encoded) == frame, "the hot-path encoding of \(frame) decodes differently")
    }

    static func decodeOne(_ bytes: [UInt8]) -> RouterFrame? {
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: bytes)
        do {
            let frame = try decoder.next()
            invariant(decoder.bufferedByteCount == 0, "an encoded frame left \(decoder.bufferedByteCount) bytes")
            return frame
        } catch {
            fatalError("fuzz invariant violated: an encoded frame does not decode: \(error)")
        }
    }
}

extension RouterFrameFuzzer.Line {
    init(_ view: LineView) {
        self.init(offset: view.offset, time: view.time, name: Array(view.name), text: Array(view.text))
    }

    init(_ line: RoomLine) {
        self.init(offset: line.offset, time: line.time, name: Array(line.name.utf8), text: line.text)
    }
}
