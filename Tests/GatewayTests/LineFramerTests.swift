import Testing

@testable import GatewayCore

/// The lines one `feed` delivered, copied out, and the error it returned.
private struct FramerOutput: Equatable {
    var lines: [[UInt8]] = []
    var error: LineFramer.LineTooLong?
}

private func framerFeed(_ framer: inout LineFramer, _ bytes: some Collection<UInt8>) -> FramerOutput {
    var lines: [[UInt8]] = []
    let error = Array(bytes).withUnsafeBytes { buffer in
        framer.feed(buffer) { lines.append(Array($0)) }
    }
    return FramerOutput(lines: lines, error: error)
}

/// Feeds `chunks` in turn, collecting every line; stops at the first error.
private func framerFeedAll(_ framer: inout LineFramer, _ chunks: [[UInt8]]) -> FramerOutput {
    var total = FramerOutput()
    for chunk in chunks {
        let output = framerFeed(&framer, chunk)
        total.lines += output.lines
        if let error = output.error {
            total.error = error
            return total
        }
    }
    return total
}

private func framerLines(_ texts: String...) -> [[UInt8]] {
    texts.map { Array($0.utf8) }
}

private func framerBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("LineFramer")
struct LineFramerTests {
    @Test func completeLineIsDeliveredWithoutItsNewline() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeed(&framer, framerBytes("hello\n")) == FramerOutput(lines: framerLines("hello"))
        )
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func severalLinesInOneReadAreDeliveredInOrder() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeed(&framer, framerBytes("one\ntwo\nthree\n"))
                == FramerOutput(lines: framerLines("one", "two", "three")))
    }

    @Test func carriageReturnBeforeNewlineIsStripped() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeed(&framer, framerBytes("a\r\nb\r\n"))
                == FramerOutput(lines: framerLines("a", "b")))
    }

    @Test func onlyOneTrailingCarriageReturnIsStripped() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeed(&framer, framerBytes("a\r\r\n")) == FramerOutput(lines: framerLines("a\r")))
    }

    @Test func loneCarriageReturnInTheMiddleIsKept() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeed(&framer, framerBytes("a\rb\n\rc\n"))
                == FramerOutput(lines: framerLines("a\rb", "\rc")))
    }

    @Test func carriageReturnAndNewlineInSeparateReadsAreStripped() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(framerFeed(&framer, framerBytes("abc\r")) == FramerOutput())
        #expect(framer.bufferedByteCount == 4)
        #expect(
            framerFeed(&framer, framerBytes("\ndef\n"))
                == FramerOutput(lines: framerLines("abc", "def")))
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func emptyLinesAreDeliveredAsEmpty() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeed(&framer, framerBytes("\n\r\n\nx\n\n"))
                == FramerOutput(lines: framerLines("", "", "", "x", "")))
    }

    @Test func partialLineIsKeptAcrossReads() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(framerFeed(&framer, framerBytes("hel")) == FramerOutput())
        #expect(framer.bufferedByteCount == 3)
        #expect(
            framerFeed(&framer, framerBytes("lo\nwor")) == FramerOutput(lines: framerLines("hello"))
        )
        #expect(framer.bufferedByteCount == 3)
        #expect(framerFeed(&framer, framerBytes("l")) == FramerOutput())
        #expect(framer.bufferedByteCount == 4)
        #expect(
            framerFeed(&framer, framerBytes("d\n")) == FramerOutput(lines: framerLines("world")))
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func emptyReadChangesNothing() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(framerFeed(&framer, framerBytes("ab")) == FramerOutput())
        #expect(framerFeed(&framer, framerBytes("")) == FramerOutput())
        #expect(framer.bufferedByteCount == 2)
        #expect(framerFeed(&framer, framerBytes("\n")) == FramerOutput(lines: framerLines("ab")))
    }

    @Test func arbitraryBytesArePassedThroughUnchanged() {
        var framer = LineFramer(maxLineBytes: 100)
        let line: [UInt8] = [0x00, 0xFF, 0xC3, 0xA9, 0x0D, 0x7F, 0x80]
        #expect(framerFeed(&framer, line + [0x0A]) == FramerOutput(lines: [line]))
    }

    @Test func everySplitOffsetGivesTheSameLines() {
        let stream = framerBytes("first\r\n\nsecond line\r\nthird\rx\n\r\nlast\n")
        let expected = FramerOutput(
            lines: framerLines("first", "", "second line", "third\rx", "", "last"))
        for split in 0...stream.count {
            var framer = LineFramer(maxLineBytes: 100)
            #expect(
                framerFeedAll(&framer, [Array(stream[..<split]), Array(stream[split...])])
                    == expected, "split at \(split)")
            #expect(framer.bufferedByteCount == 0)
        }
    }

    @Test func everyPairOfSplitOffsetsGivesTheSameLines() {
        let stream = framerBytes("ab\r\n\ncd\ref\n\r\ng\n")
        let expected = FramerOutput(lines: framerLines("ab", "", "cd\ref", "", "g"))
        for first in 0...stream.count {
            for second in first...stream.count {
                var framer = LineFramer(maxLineBytes: 100)
                let chunks = [
                    Array(stream[..<first]), Array(stream[first..<second]),
                    Array(stream[second...]),
                ]
                #expect(framerFeedAll(&framer, chunks) == expected, "splits at \(first), \(second)")
            }
        }
    }

    @Test func bytesFedOneAtATimeGiveTheSameLines() {
        let stream = framerBytes("first\r\n\nsecond line\r\nthird\n")
        var framer = LineFramer(maxLineBytes: 100)
        #expect(
            framerFeedAll(&framer, stream.map { [$0] })
                == FramerOutput(lines: framerLines("first", "", "second line", "third")))
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func lineExactlyAtTheLimitIsDelivered() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(
            framerFeed(&framer, framerBytes("12345678\n"))
                == FramerOutput(lines: framerLines("12345678")))
    }

    @Test func carriageReturnDoesNotCountTowardsTheLimit() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(
            framerFeed(&framer, framerBytes("12345678\r\n"))
                == FramerOutput(lines: framerLines("12345678")))
    }

    @Test func lineOneByteOverTheLimitFails() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(
            framerFeed(&framer, framerBytes("123456789\n"))
                == FramerOutput(error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func linesBeforeAnOverlongLineAreStillDelivered() {
        var framer = LineFramer(maxLineBytes: 8)
        let output = framerFeed(&framer, framerBytes("ok\n123456789\nnever\n"))
        #expect(
            output
                == FramerOutput(lines: framerLines("ok"), error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func lineAtTheLimitSplitAtEveryOffsetIsDelivered() {
        let stream = framerBytes("12345678\r\nab\n")
        for split in 0...stream.count {
            var framer = LineFramer(maxLineBytes: 8)
            let output = framerFeedAll(&framer, [Array(stream[..<split]), Array(stream[split...])])
            #expect(
                output == FramerOutput(lines: framerLines("12345678", "ab")), "split at \(split)")
        }
    }

    @Test func lineOverTheLimitSplitAtEveryOffsetFails() {
        let stream = framerBytes("ok\n123456789\n")
        for split in 0...stream.count {
            var framer = LineFramer(maxLineBytes: 8)
            let output = framerFeedAll(&framer, [Array(stream[..<split]), Array(stream[split...])])
            #expect(
                output
                    == FramerOutput(
                        lines: framerLines("ok"), error: LineFramer.LineTooLong(limit: 8)),
                "split at \(split)")
        }
    }

    @Test func lineOverTheLimitFedOneByteAtATimeFails() {
        var framer = LineFramer(maxLineBytes: 8)
        let output = framerFeedAll(&framer, framerBytes("123456789\n").map { [$0] })
        #expect(output == FramerOutput(error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func lineAtTheLimitWithoutNewlineWaits() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(framerFeed(&framer, framerBytes("12345678")) == FramerOutput())
        #expect(framer.bufferedByteCount == 8)
        #expect(
            framerFeed(&framer, framerBytes("\n")) == FramerOutput(lines: framerLines("12345678")))
    }

    @Test func lineAtTheLimitWithCarriageReturnButNoNewlineWaits() {
        // The `\r` may be the first half of a line ending, so it is not yet too long.
        var framer = LineFramer(maxLineBytes: 8)
        #expect(framerFeed(&framer, framerBytes("12345678\r")) == FramerOutput())
        #expect(framer.bufferedByteCount == 9)
        #expect(
            framerFeed(&framer, framerBytes("\n")) == FramerOutput(lines: framerLines("12345678")))
    }

    @Test func lineOneByteOverTheLimitFailsBeforeItsNewlineArrives() {
        // Nine bytes of text with no `\r` can only become a nine-byte line.
        var framer = LineFramer(maxLineBytes: 8)
        #expect(
            framerFeed(&framer, framerBytes("123456789"))
                == FramerOutput(error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func lineTwoBytesOverTheLimitFailsBeforeItsNewlineArrives() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(
            framerFeed(&framer, framerBytes("1234567890"))
                == FramerOutput(error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func lineOverTheLimitAcrossReadsFailsBeforeItsNewlineArrives() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(framerFeed(&framer, framerBytes("12345")) == FramerOutput())
        #expect(framerFeed(&framer, framerBytes("67")) == FramerOutput())
        #expect(
            framerFeed(&framer, framerBytes("890"))
                == FramerOutput(error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func overlongTailAfterCompleteLinesFailsAfterDeliveringThem() {
        var framer = LineFramer(maxLineBytes: 8)
        let output = framerFeed(&framer, framerBytes("a\nb\n1234567890"))
        #expect(
            output
                == FramerOutput(
                    lines: framerLines("a", "b"), error: LineFramer.LineTooLong(limit: 8)))
    }

    @Test func bufferedByteCountReturnsToZeroAfterACompleteLine() {
        var framer = LineFramer(maxLineBytes: 100)
        #expect(framer.bufferedByteCount == 0)
        _ = framerFeed(&framer, framerBytes("partial"))
        #expect(framer.bufferedByteCount == 7)
        _ = framerFeed(&framer, framerBytes(" line\r\n"))
        #expect(framer.bufferedByteCount == 0)
        _ = framerFeed(&framer, framerBytes("x\ny"))
        #expect(framer.bufferedByteCount == 1)
        _ = framerFeed(&framer, framerBytes("\n"))
        #expect(framer.bufferedByteCount == 0)
    }
}
