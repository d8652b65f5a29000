import Testing

@testable import GatewayCore

private func scannerFeed(
    _ scanner: inout JoinScanner, _ bytes: some Collection<UInt8>
)
    -> JoinScanner.Outcome
{
    Array(bytes).withUnsafeBytes { scanner.feed($0) }
}

private func scannerSkipTrailer(
    _ scanner: inout JoinScanner, _ bytes: some Collection<UInt8>
)
    -> Int
{
    Array(bytes).withUnsafeBytes { scanner.skipTrailer($0) }
}

/// What a gateway sees when it drives a scanner over a stream cut into reads.
private struct StreamScan: Equatable {
    /// The join object, or nil if none completed.
    var object: [UInt8]?
    /// Bytes that belonged to the join (leading whitespace, object, trailer).
    var joinByteCount = 0
    /// Everything after the join: the start of the first line onwards.
    var firstLineBytes: [UInt8] = []
    var failure: JoinError?
}

/// Feeds `chunks` the way a gateway does: into `feed` until the object
/// completes, then through `skipTrailer` while the scanner is in its trailer.
private func scanStream(_ chunks: [[UInt8]], maxBytes: Int = 4096) -> StreamScan {
    var scanner = JoinScanner(maxBytes: maxBytes)
    var scan = StreamScan()
    for chunk in chunks {
        if scan.object == nil {
            switch scannerFeed(&scanner, chunk) {
            case .needMore:
                scan.joinByteCount += chunk.count
            case .failed(let error):
                scan.failure = error
                return scan
            case .complete(let object, let consumed):
                scan.object = object
                scan.joinByteCount += consumed
                scan.firstLineBytes += chunk[consumed...]
            }
        } else if scanner.isInTrailer {
            let skip = scannerSkipTrailer(&scanner, chunk)
            scan.joinByteCount += skip
            scan.firstLineBytes += chunk[skip...]
        } else {
            scan.firstLineBytes += chunk
        }
    }
    return scan
}

private func scannerBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("JoinScanner")
struct JoinScannerTests {
    private let join = scannerBytes(#"{"name":"Mina","room":"dev"}"#)

    @Test func objectThenNewlineThenLineInOneReadStopsBeforeTheLine() {
        var scanner = JoinScanner(maxBytes: 4096)
        let read = join + scannerBytes("\nhello\n")
        #expect(scannerFeed(&scanner, read) == .complete(object: join, consumed: join.count + 1))
        #expect(Array(read[(join.count + 1)...]) == scannerBytes("hello\n"))
        #expect(!scanner.isInTrailer)
    }

    @Test func objectWithoutNewlineFollowedByTextStopsRightAfterTheObject() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes("hi"))
                == .complete(object: join, consumed: join.count))
        #expect(!scanner.isInTrailer)
    }

    @Test func spacesBeforeTheFirstLineBelongToTheJoin() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes(" \t hi"))
                == .complete(object: join, consumed: join.count + 3))
    }

    @Test func carriageReturnNewlineAfterTheObjectIsConsumed() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes("\r\nline\n"))
                == .complete(object: join, consumed: join.count + 2))
        #expect(!scanner.isInTrailer)
    }

    @Test func onlyTheFirstNewlineBelongsToTheJoin() {
        // The second newline is an empty first line, not part of the join.
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes("\n\nhi\n"))
                == .complete(object: join, consumed: join.count + 1))
    }

    @Test func leadingWhitespaceIsSkippedAndCounted() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, scannerBytes(" \r\n\t") + join + scannerBytes("\nx"))
                == .complete(object: join, consumed: 4 + join.count + 1))
    }

    @Test func leadingWhitespaceInItsOwnReadNeedsMore() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&scanner, scannerBytes("\r\n  ")) == .needMore)
        #expect(
            scannerFeed(&scanner, join + scannerBytes("x"))
                == .complete(object: join, consumed: join.count))
    }

    @Test func incompleteObjectNeedsMore() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&scanner, join.dropLast()) == .needMore)
        #expect(scannerFeed(&scanner, scannerBytes("}\n")) == .complete(object: join, consumed: 2))
    }

    @Test func objectSplitAtEveryByteOffsetGivesTheSameResult() {
        let stream = scannerBytes("  ") + join + scannerBytes(" \r\nhello\nworld\n")
        let expected = StreamScan(
            object: join, joinByteCount: 2 + join.count + 3,
            firstLineBytes: scannerBytes("hello\nworld\n"))
        #expect(scanStream([stream]) == expected)
        for split in 0...stream.count {
            #expect(
                scanStream([Array(stream[..<split]), Array(stream[split...])]) == expected,
                "split at \(split)")
        }
    }

    @Test func objectSplitAtEveryPairOfOffsetsGivesTheSameResult() {
        let stream = join + scannerBytes(" \r\nhi\n")
        let expected = StreamScan(
            object: join, joinByteCount: join.count + 3, firstLineBytes: scannerBytes("hi\n"))
        for first in 0...stream.count {
            for second in first...stream.count {
                let chunks = [
                    Array(stream[..<first]), Array(stream[first..<second]),
                    Array(stream[second...]),
                ]
                #expect(scanStream(chunks) == expected, "splits at \(first), \(second)")
            }
        }
    }

    @Test func objectFedOneByteAtATimeGivesTheSameResult() {
        let stream = scannerBytes("\n") + join + scannerBytes("\t\r\nhello\n")
        let expected = StreamScan(
            object: join, joinByteCount: 1 + join.count + 3, firstLineBytes: scannerBytes("hello\n")
        )
        #expect(scanStream(stream.map { [$0] }) == expected)
    }

    @Test func objectCompletingAtTheEndOfAReadLeavesTheScannerInItsTrailer() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&scanner, join) == .complete(object: join, consumed: join.count))
        #expect(scanner.isInTrailer)
        #expect(scannerSkipTrailer(&scanner, scannerBytes("\nline\n")) == 1)
        #expect(!scanner.isInTrailer)
    }

    @Test func trailingSpacesThenNewlineInTheNextReadAreSkipped() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes("   "))
                == .complete(object: join, consumed: join.count + 3))
        #expect(scanner.isInTrailer)
        #expect(scannerSkipTrailer(&scanner, scannerBytes("  \nline\n")) == 3)
        #expect(!scanner.isInTrailer)
    }

    @Test func trailerSpanningSeveralReadsIsSkippedInEach() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes(" "))
                == .complete(object: join, consumed: join.count + 1))
        #expect(scannerSkipTrailer(&scanner, scannerBytes("\t")) == 1)
        #expect(scanner.isInTrailer)
        #expect(scannerSkipTrailer(&scanner, scannerBytes("")) == 0)
        #expect(scanner.isInTrailer)
        #expect(scannerSkipTrailer(&scanner, scannerBytes("\r")) == 1)
        #expect(scanner.isInTrailer)
        #expect(scannerSkipTrailer(&scanner, scannerBytes("\nhi")) == 1)
        #expect(!scanner.isInTrailer)
    }

    @Test func textRightAfterTheObjectInTheNextReadIsNotSkipped() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&scanner, join) == .complete(object: join, consumed: join.count))
        #expect(scannerSkipTrailer(&scanner, scannerBytes("line")) == 0)
        #expect(!scanner.isInTrailer)
    }

    @Test func skipTrailerAfterTheTrailerEndedSkipsNothing() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, join + scannerBytes("\n"))
                == .complete(object: join, consumed: join.count + 1))
        #expect(!scanner.isInTrailer)
        #expect(scannerSkipTrailer(&scanner, scannerBytes("  \nx")) == 0)
    }

    @Test func bracesAndQuotesInsideStringsDoNotEndTheObject() {
        let object = scannerBytes(#"{"name":"a}b","room":"x\"}"}"#)
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, object + scannerBytes("\nrest"))
                == .complete(object: object, consumed: object.count + 1))
        #expect(JoinRequest.parse(object) == .success(JoinRequest(name: "a}b", room: #"x"}"#)))
    }

    @Test func escapedBackslashBeforeAClosingQuoteEndsTheString() {
        let object = scannerBytes(#"{"name":"a\\","room":"{["}"#)
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, object + scannerBytes("x"))
                == .complete(object: object, consumed: object.count))
        #expect(JoinRequest.parse(object) == .success(JoinRequest(name: #"a\"#, room: "{[")))
    }

    @Test func stringsWithBracesSplitAtEveryOffsetGiveTheSameResult() {
        let object = scannerBytes(#"{"name":"a}\\\"b","room":"]}{"}"#)
        let stream = object + scannerBytes("\nnext\n")
        let expected = StreamScan(
            object: object, joinByteCount: object.count + 1, firstLineBytes: scannerBytes("next\n"))
        for split in 0...stream.count {
            #expect(
                scanStream([Array(stream[..<split]), Array(stream[split...])]) == expected,
                "split at \(split)")
        }
    }

    @Test func nestedObjectsAndArraysInExtraKeysAreSpanned() {
        let object = scannerBytes(
            #"{"meta":{"a":{"b":[1,{"c":"}"},[]]}},"name":"M","room":"r","list":[[{}]]}"#)
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, object + scannerBytes("\nx"))
                == .complete(object: object, consumed: object.count + 1))
    }

    @Test func nonObjectFirstByteFailsAtOnce() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&scanner, scannerBytes("hello\n")) == .failed(.notAnObject))
        var arrayScanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&arrayScanner, scannerBytes(" [1]")) == .failed(.notAnObject))
    }

    @Test func nonObjectAfterLeadingWhitespaceInAnEarlierReadFails() {
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(scannerFeed(&scanner, scannerBytes("\n ")) == .needMore)
        #expect(scannerFeed(&scanner, scannerBytes("x")) == .failed(.notAnObject))
    }

    @Test func objectOfExactlyMaxBytesIsAccepted() {
        let object = scannerBytes(#"{"a":"b"}"#)
        var scanner = JoinScanner(maxBytes: object.count)
        #expect(
            scannerFeed(&scanner, object + scannerBytes("\n"))
                == .complete(object: object, consumed: object.count + 1))
    }

    @Test func objectOverMaxBytesFails() {
        let object = scannerBytes(#"{"a":"b"}"#)
        var scanner = JoinScanner(maxBytes: object.count - 1)
        #expect(scannerFeed(&scanner, object) == .failed(.tooLarge(max: object.count - 1)))
    }

    @Test func leadingWhitespaceDoesNotCountTowardsMaxBytes() {
        let object = scannerBytes(#"{"a":"b"}"#)
        var scanner = JoinScanner(maxBytes: object.count)
        #expect(
            scannerFeed(&scanner, scannerBytes("    ") + object)
                == .complete(object: object, consumed: 4 + object.count))
    }

    @Test func unendingObjectFailsOnceItPassesMaxBytesAcrossReads() {
        var scanner = JoinScanner(maxBytes: 64)
        #expect(scannerFeed(&scanner, scannerBytes(#"{"name":""#)) == .needMore)
        var outcome = JoinScanner.Outcome.needMore
        var reads = 0
        while outcome == .needMore && reads < 100 {
            outcome = scannerFeed(&scanner, scannerBytes("aaaaaaa"))
            reads += 1
        }
        #expect(outcome == .failed(.tooLarge(max: 64)))
        // 9 bytes first, then 7 per read: the 65th byte arrives in read 8.
        #expect(reads == 8)
    }

    @Test func unbalancedClosingBracketsNeverWaitForever() {
        // The scanner only delimits; the parser rejects what it delimited.
        let object = scannerBytes(#"{"name":"a","room":"b"]"#)
        var scanner = JoinScanner(maxBytes: 4096)
        #expect(
            scannerFeed(&scanner, object + scannerBytes("\n"))
                == .complete(object: object, consumed: object.count + 1))
        #expect(
            JoinRequest.parse(object) == .failure(.invalidJSON("expected ',' or '}' at byte 22")))
    }
}
