import GatewayCore

/// libFuzzer entry: the TCP gateway's line framer (`LineFramer`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    LineFramerFuzzer.run(Array(UnsafeRawBufferPointer(start: data, count: size)))
    return 0
}

/// Checks on every input, with the default line limit and a tiny one (1–32
/// bytes, chosen by the input): the framer emits the lines and the error of a
/// plain reference model, whole, byte by byte and in the other splits, and
/// holds no more than the limit (plus a CR) between reads.
///
/// The model: a line is the bytes before each `\n`, less one `\r` right before
/// it; a line longer than the limit is an error, and so is an unfinished last
/// line that can no longer fit (over the limit, or one byte over it and not
/// ending in the `\r` of a CRLF still on its way). Nothing after an error counts.
enum LineFramerFuzzer {
    struct Outcome: Equatable {
        var lines: [[UInt8]] = []
        var tooLong = false
    }

    static func run(_ bytes: [UInt8]) {
        let tiny = Int(bytes.first ?? 0) % 32 + 1
        for limit in [GatewayLimits().maxLineBytes, tiny] {
            let expected = model(bytes, limit: limit)
            for pattern in [[]] + FuzzSplits.patterns(for: bytes) {
                let framed = frame(bytes, pattern: pattern, limit: limit)
                invariant(framed == expected, "split \(pattern), limit \(limit): framer gave \(framed), model \(expected)")
            }
        }
    }

    static func frame(_ bytes: [UInt8], pattern: [Int], limit: Int) -> Outcome {
        var framer = LineFramer(maxLineBytes: limit)
        var outcome = Outcome()
        FuzzSplits.forEachChunk(of: bytes, pattern: pattern) { chunk in
            let error = framer.feed(chunk) { line in
                invariant(!line.contains(UInt8(ascii: "\n")), "a line holds a newline")
                outcome.lines.append(Array(line))
            }
            if let error {
                invariant(error.limit == limit, "the error names limit \(error.limit), not \(limit)")
                outcome.tooLong = true
                return false
            }
            invariant(framer.bufferedByteCount <= limit + 1, "\(framer.bufferedByteCount) bytes held over a limit of \(limit)")
            return true
        }
        return outcome
    }

    static func model(_ bytes: [UInt8], limit: Int) -> Outcome {
        var outcome = Outcome()
        var pieces = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let unfinished = pieces.removeLast()
        for piece in pieces {
            let line = piece.last == UInt8(ascii: "\r") ? piece.dropLast() : piece
            if line.count > limit {
                outcome.tooLong = true
                return outcome
            }
            outcome.lines.append(Array(line))
        }
        if unfinished.count > limit + 1 || (unfinished.count == limit + 1 && unfinished.last != UInt8(ascii: "\r")) {
            outcome.tooLong = true
        }
        return outcome
    }
}
