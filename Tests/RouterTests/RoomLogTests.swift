import Testing

@testable import RouterCore

/// One line as `RoomLog.forEachLine` hands it out, copied out of the log.
private struct HeldLine: Equatable, CustomStringConvertible {
    var offset: UInt64
    var time: UInt64
    var name: [UInt8]
    var text: [UInt8]

    var description: String { "#\(offset)@\(time) \(name.count)+\(text.count) bytes" }
}

/// Appends one line with the given bytes; returns its offset.
@discardableResult
private func append(_ log: RoomLog, name: [UInt8], text: [UInt8], time: UInt64 = 1000, maxLines: Int = 1000) -> UInt64 {
    name.withUnsafeBytes { nameBytes in
        text.withUnsafeBytes { textBytes in
            log.append(time: time, name: nameBytes, text: textBytes, maxLines: maxLines)
        }
    }
}

@discardableResult
private func append(_ log: RoomLog, _ name: String, _ text: String, time: UInt64 = 1000, maxLines: Int = 1000) -> UInt64 {
    append(log, name: Array(name.utf8), text: Array(text.utf8), time: time, maxLines: maxLines)
}

/// The held lines with offsets in `range`, oldest first.
private func lines(_ log: RoomLog, in range: ClosedRange<UInt64> = 0...UInt64.max) -> [HeldLine] {
    var result: [HeldLine] = []
    log.forEachLine(in: range) { offset, time, name, text in
        result.append(HeldLine(offset: offset, time: time, name: Array(name), text: Array(text)))
        return true
    }
    return result
}

private func offsets(_ log: RoomLog, in range: ClosedRange<UInt64> = 0...UInt64.max) -> [UInt64] {
    lines(log, in: range).map(\.offset)
}

private func makeLog(lastOffset: UInt64 = 0) -> RoomLog {
    RoomLog(name: "dev", epoch: "0123456789abcdef", lastOffset: lastOffset, now: 500)
}

/// Bytes one chunk may account for at most: its storage (the allocator may
/// round a reservation up a little) and the fixed overhead.
private let chunkCeiling = RoomLog.chunkSize + 256 + RoomLog.chunkOverhead

@Suite("RoomLog")
struct RoomLogTests {
    // MARK: Offsets

    @Test func emptyLogHoldsNothingAndStartsAtOffsetOne() {
        let log = makeLog()
        #expect(log.name == "dev")
        #expect(log.epoch == "0123456789abcdef")
        #expect(log.lastOffset == 0)
        #expect(log.firstOffset == 1)
        #expect(log.count == 0)
        #expect(log.bytes == 0)
        #expect(log.oldestTime == nil)
        #expect(log.lastActive == 500)
        #expect(lines(log).isEmpty)
    }

    @Test func appendedLinesGetOffsetsOneTwoThree() {
        let log = makeLog()
        #expect(append(log, "Mina", "one", time: 10) == 1)
        #expect(append(log, "Bo", "two", time: 20) == 2)
        #expect(append(log, "Mina", "three", time: 30) == 3)
        #expect(log.lastOffset == 3)
        #expect(log.firstOffset == 1)
        #expect(log.count == 3)
        #expect(log.oldestTime == 10)
        #expect(log.lastActive == 30)
        #expect(
            lines(log) == [
                HeldLine(offset: 1, time: 10, name: Array("Mina".utf8), text: Array("one".utf8)),
                HeldLine(offset: 2, time: 20, name: Array("Bo".utf8), text: Array("two".utf8)),
                HeldLine(offset: 3, time: 30, name: Array("Mina".utf8), text: Array("three".utf8)),
            ])
    }

    @Test func logCreatedAtAnOffsetContinuesFromIt() {
        let log = makeLog(lastOffset: 41)
        #expect(log.firstOffset == 42)
        #expect(append(log, "Mina", "hi") == 42)
        #expect(log.firstOffset == 42)
        #expect(offsets(log) == [42])
    }

    @Test func skipHandsOutOffsetsWithoutKeepingLines() {
        let log = makeLog()
        #expect(log.skip() == 1)
        #expect(log.skip() == 2)
        #expect(log.count == 0)
        #expect(log.lastOffset == 2)
        #expect(log.firstOffset == 3)
        #expect(log.bytes == 0)
        // Only a log that holds nothing skips (history off), so the held
        // range stays `lastOffset - count + 1 ... lastOffset`.
        #expect(append(log, "Mina", "kept") == 3)
        #expect(offsets(log) == [3])
        #expect(log.firstOffset == 3)
        #expect(log.count == 1)
    }

    @Test func skippingDropsHeldLinesSoTheHeldRangeStaysContiguous() {
        let log = makeLog()
        for i in 1...3 { append(log, "Mina", "line \(i)") }
        #expect(log.skip() == 4)
        #expect(log.count == 0)
        #expect(log.bytes == 0)
        #expect(log.firstOffset == 5)
        #expect(lines(log).isEmpty)
        #expect(append(log, "Mina", "after") == 5)
        #expect(offsets(log) == [5])
    }

    // MARK: The line bound

    @Test func lineBoundEvictsTheOldestLine() {
        let log = makeLog()
        for i in 1...5 { append(log, "Mina", "line \(i)", time: UInt64(i), maxLines: 3) }
        #expect(log.count == 3)
        #expect(log.firstOffset == 3)
        #expect(log.lastOffset == 5)
        #expect(log.oldestTime == 3)
        #expect(lines(log).map { String(decoding: $0.text, as: UTF8.self) } == ["line 3", "line 4", "line 5"])
    }

    @Test func boundOfOneKeepsOnlyTheNewestLine() {
        let log = makeLog()
        for i in 1...20 {
            append(log, "Mina", "line \(i)", time: UInt64(i), maxLines: 1)
            #expect(log.count == 1)
            #expect(log.firstOffset == UInt64(i))
            #expect(lines(log).map(\.text) == [Array("line \(i)".utf8)])
        }
    }

    @Test func evictOldestDropsOneLineAndReportsWhetherItDid() {
        let log = makeLog()
        #expect(!log.evictOldest())
        for i in 1...4 { append(log, "Mina", "\(i)", time: UInt64(i)) }
        #expect(log.evictOldest())
        #expect(log.firstOffset == 2)
        #expect(log.oldestTime == 2)
        #expect(log.count == 3)
        #expect(log.evictOldest())
        #expect(log.evictOldest())
        #expect(log.evictOldest())
        #expect(log.count == 0)
        #expect(log.firstOffset == 5)
        #expect(log.lastOffset == 4)
        #expect(log.oldestTime == nil)
        #expect(!log.evictOldest())
        #expect(log.lastOffset == 4)
        // Offsets continue after the log emptied.
        #expect(append(log, "Mina", "5") == 5)
        #expect(offsets(log) == [5])
    }

    // MARK: Reading ranges

    @Test func rangesAreClampedToWhatIsHeld() {
        let log = makeLog()
        for i in 1...10 { append(log, "Mina", "\(i)", maxLines: 6) }
        // Held: 5...10.
        #expect(offsets(log) == [5, 6, 7, 8, 9, 10])
        #expect(offsets(log, in: 0...UInt64.max) == [5, 6, 7, 8, 9, 10])
        #expect(offsets(log, in: 1...7) == [5, 6, 7])
        #expect(offsets(log, in: 8...1000) == [8, 9, 10])
        #expect(offsets(log, in: 6...8) == [6, 7, 8])
        #expect(offsets(log, in: 7...7) == [7])
        #expect(offsets(log, in: 5...5) == [5])
        #expect(offsets(log, in: 10...10) == [10])
    }

    @Test func rangesOutsideWhatIsHeldGiveNothing() {
        let log = makeLog()
        for i in 1...10 { append(log, "Mina", "\(i)", maxLines: 6) }
        #expect(offsets(log, in: 0...4).isEmpty)
        #expect(offsets(log, in: 1...1).isEmpty)
        #expect(offsets(log, in: 11...20).isEmpty)
        #expect(offsets(log, in: UInt64.max...UInt64.max).isEmpty)
        #expect(offsets(makeLog(), in: 0...UInt64.max).isEmpty)
    }

    @Test func readingStopsWhenTheBodyReturnsFalse() {
        let log = makeLog()
        for i in 1...10 { append(log, "Mina", "\(i)") }
        var seen: [UInt64] = []
        log.forEachLine(in: 3...9) { offset, _, _, _ in
            seen.append(offset)
            return seen.count < 2
        }
        #expect(seen == [3, 4])
        seen = []
        log.forEachLine(in: 0...UInt64.max) { offset, _, _, _ in
            seen.append(offset)
            return false
        }
        #expect(seen == [1])
    }

    // MARK: Bytes

    @Test func everyByteValueOfTheTextComesBackExactly() {
        let log = makeLog()
        let text = (0...255).map { UInt8($0) }
        append(log, name: Array("Mina".utf8), text: text)
        append(log, name: Array("Mina".utf8), text: text.reversed())
        #expect(lines(log).map(\.text) == [text, text.reversed()])
        #expect(lines(log).map(\.name) == [Array("Mina".utf8), Array("Mina".utf8)])
    }

    @Test func nonASCIINamesComeBackExactly() {
        let log = makeLog()
        let names = ["Zoë", "李小龙", "😀", "e\u{301}", "Ünïcødé-名前-🦊", String(repeating: "é", count: 32)]
        for name in names { append(log, name, "hi \(name)") }
        let held = lines(log)
        #expect(held.map(\.name) == names.map { Array($0.utf8) })
        #expect(held.map(\.text) == names.map { Array("hi \($0)".utf8) })
    }

    @Test func emptyNameAndTextAreKept() {
        let log = makeLog()
        append(log, name: [], text: [])
        append(log, name: Array("a".utf8), text: [])
        append(log, name: [], text: [0])
        #expect(
            lines(log) == [
                HeldLine(offset: 1, time: 1000, name: [], text: []),
                HeldLine(offset: 2, time: 1000, name: [0x61], text: []),
                HeldLine(offset: 3, time: 1000, name: [], text: [0]),
            ])
    }

    // MARK: Memory accounting

    @Test func bytesGrowWithLinesAndReturnToZeroWhenAllAreEvicted() {
        let log = makeLog()
        append(log, "Mina", "first")
        // One chunk and a ring of at least 16 entries.
        let afterFirst = log.bytes
        #expect(afterFirst >= RoomLog.chunkSize + RoomLog.chunkOverhead + 16 * MemoryLayout<RoomLog.Entry>.stride)
        #expect(afterFirst <= chunkCeiling + 64 * MemoryLayout<RoomLog.Entry>.stride)
        var previous = afterFirst
        for i in 0..<200 {
            append(log, "Mina", String(repeating: "x", count: 100) + "\(i)")
            #expect(log.bytes >= previous)
            previous = log.bytes
        }
        // 201 lines of about 108 bytes: at least five 4 KiB chunks.
        #expect(log.bytes >= 5 * (RoomLog.chunkSize + RoomLog.chunkOverhead))
        while log.evictOldest() {}
        #expect(log.count == 0)
        #expect(log.bytes == 0)
    }

    @Test func evictingLinesReleasesTheirChunks() {
        let log = makeLog()
        let text = [UInt8](repeating: 0x61, count: 400)
        for _ in 0..<10_000 { append(log, name: [0x41], text: text, maxLines: 10_000) }
        let full = log.bytes
        // 401 bytes a line, 10 lines a chunk: at least 1000 chunks.
        #expect(full >= 1000 * (RoomLog.chunkSize + RoomLog.chunkOverhead))
        for _ in 0..<9000 { log.evictOldest() }
        #expect(log.count == 1000)
        // What is left: about 100 chunks and the ring (never shrunk while lines remain).
        let ringCeiling = 2 * 10_000 * MemoryLayout<RoomLog.Entry>.stride
        #expect(log.bytes <= ringCeiling + 102 * chunkCeiling, "\(log.bytes) of \(full)")
        while log.evictOldest() {}
        #expect(log.bytes == 0)
    }

    @Test func aLogUnderItsLineBoundHoldsOnlyAFewChunksAfterManyLines() {
        let log = makeLog()
        let text = [UInt8](repeating: 0x62, count: 100)
        for _ in 0..<100_000 { append(log, name: [0x41], text: text, maxLines: 10) }
        #expect(log.count == 10)
        #expect(log.firstOffset == 99_991)
        // Ten lines of 101 bytes span at most two chunks, and the ring holds 10 entries.
        #expect(log.bytes <= 2 * chunkCeiling + 16 * MemoryLayout<RoomLog.Entry>.stride, "\(log.bytes)")
    }

    @Test func aLineOf64KiBGetsAChunkOfItsOwn() {
        let log = makeLog()
        append(log, "Mina", "small")
        let beforeLarge = log.bytes
        let large = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        append(log, name: Array("Mina".utf8), text: large)
        // A new chunk big enough for the whole line, not a grown small one.
        #expect(log.bytes - beforeLarge >= 65_536 + 4 + RoomLog.chunkOverhead)
        let withBoth = log.bytes
        // The small line's chunk goes with it, the large line's stays.
        log.evictOldest()
        #expect(withBoth - log.bytes >= RoomLog.chunkSize + RoomLog.chunkOverhead)
        #expect(log.bytes >= 65_536 + 4 + RoomLog.chunkOverhead)
        #expect(lines(log) == [HeldLine(offset: 2, time: 1000, name: Array("Mina".utf8), text: large)])
        log.evictOldest()
        #expect(log.bytes == 0)
    }

    @Test func linesJustAboveAndAtTheChunkSizeComeBackExactly() {
        let log = makeLog()
        let texts: [[UInt8]] = [
            [UInt8](repeating: 1, count: RoomLog.chunkSize - 4),
            [UInt8](repeating: 2, count: RoomLog.chunkSize - 3),
            [UInt8](repeating: 3, count: RoomLog.chunkSize),
            [UInt8](repeating: 4, count: RoomLog.chunkSize + 1),
            [5],
        ]
        for text in texts { append(log, name: Array("Mina".utf8), text: text) }
        #expect(lines(log).map(\.text) == texts)
        while log.evictOldest() {}
        #expect(log.bytes == 0)
    }

    // MARK: Against a model

    /// A plain array of the lines the log should hold, and its offsets.
    private struct Model {
        var lines: [HeldLine] = []
        var lastOffset: UInt64 = 0

        mutating func append(time: UInt64, name: [UInt8], text: [UInt8], maxLines: Int) {
            if lines.count >= maxLines { lines.removeFirst() }
            lastOffset += 1
            lines.append(HeldLine(offset: lastOffset, time: time, name: name, text: text))
        }
    }

    private static func randomBytes(_ count: Int, using generator: inout CodecFixtures.SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test(arguments: [1, 2, 3, 42, 2024, 0xDEAD_BEEF] as [UInt64])
    func randomAppendsAndEvictionsMatchAnArrayModel(seed: UInt64) {
        var generator = CodecFixtures.SeededGenerator(seed: seed)
        let maxLines = [1, 2, 7, 16, 17, 100, 1000][Int.random(in: 0..<7, using: &generator)]
        let log = makeLog()
        var model = Model()
        var time: UInt64 = 1_700_000_000_000
        for step in 0..<3000 {
            let roll = Int.random(in: 0..<100, using: &generator)
            if roll < 80 {
                time += UInt64.random(in: 0...5, using: &generator)
                let name = Self.randomBytes(Int.random(in: 0...24, using: &generator), using: &generator)
                let textCount =
                    roll < 2 ? Int.random(in: 4000...70_000, using: &generator) : Int.random(in: 0...300, using: &generator)
                let text = Self.randomBytes(textCount, using: &generator)
                let offset = append(log, name: name, text: text, time: time, maxLines: maxLines)
                model.append(time: time, name: name, text: text, maxLines: maxLines)
                #expect(offset == model.lastOffset)
            } else if roll < 95 {
                let evicted = log.evictOldest()
                #expect(evicted == !model.lines.isEmpty)
                if !model.lines.isEmpty { model.lines.removeFirst() }
            } else {
                // A run of evictions, sometimes down to empty.
                for _ in 0..<Int.random(in: 1...200, using: &generator) {
                    log.evictOldest()
                    if !model.lines.isEmpty { model.lines.removeFirst() }
                }
            }
            #expect(log.count == model.lines.count, "step \(step)")
            #expect(log.lastOffset == model.lastOffset, "step \(step)")
            #expect(log.firstOffset == model.lastOffset - UInt64(model.lines.count) + 1, "step \(step)")
            #expect(log.oldestTime == model.lines.first?.time, "step \(step)")
            #expect((log.bytes == 0) == model.lines.isEmpty, "step \(step): \(log.bytes) bytes")
            if step % 50 == 0 || model.lines.count < 3 {
                #expect(lines(log) == model.lines, "step \(step)")
            }
            if !model.lines.isEmpty, step % 7 == 0 {
                let first = model.lines[0].offset
                let lower = UInt64.random(in: (first > 2 ? first - 2 : 0)...(model.lastOffset + 2), using: &generator)
                let upper = UInt64.random(in: lower...(model.lastOffset + 3), using: &generator)
                let expected = model.lines.filter { (lower...upper).contains($0.offset) }
                #expect(lines(log, in: lower...upper) == expected, "step \(step), \(lower)...\(upper)")
            }
        }
        while log.evictOldest() {}
        #expect(log.bytes == 0)
    }
}
