import Testing

@testable import RouterCore

@Suite("CompletionWindow")
struct CompletionWindowTests {
    @Test func emptyWindowAcknowledgesEverythingProcessed() {
        let window = CompletionWindow()
        #expect(window.isEmpty)
        #expect(window.acknowledgeable(processed: 0) == 0)
        #expect(window.acknowledgeable(processed: 17) == 17)
    }

    @Test func waitingFrameHoldsBackItselfAndEverythingAfterIt() {
        var window = CompletionWindow()
        window.begin(5)
        #expect(!window.isEmpty)
        // Frames 1...4 completed synchronously; 5 waits, so 6...9 wait behind it.
        #expect(window.acknowledgeable(processed: 5) == 4)
        #expect(window.acknowledgeable(processed: 9) == 4)
        window.complete(5)
        #expect(window.isEmpty)
        #expect(window.acknowledgeable(processed: 9) == 9)
    }

    @Test func firstFrameWaitingAcknowledgesNothing() {
        var window = CompletionWindow()
        window.begin(1)
        #expect(window.acknowledgeable(processed: 1) == 0)
        #expect(window.acknowledgeable(processed: 3) == 0)
        window.complete(1)
        #expect(window.acknowledgeable(processed: 3) == 3)
    }

    @Test func inOrderCompletionsMoveTheAcknowledgementForward() {
        var window = CompletionWindow()
        for frame: UInt64 in [2, 3, 5, 8] { window.begin(frame) }
        #expect(window.acknowledgeable(processed: 10) == 1)
        window.complete(2)
        #expect(window.acknowledgeable(processed: 10) == 2)
        window.complete(3)
        #expect(window.acknowledgeable(processed: 10) == 4)
        window.complete(5)
        #expect(window.acknowledgeable(processed: 10) == 7)
        window.complete(8)
        #expect(window.acknowledgeable(processed: 10) == 10)
        #expect(window.isEmpty)
    }

    @Test func outOfOrderCompletionsWaitForTheEarliest() {
        var window = CompletionWindow()
        for frame: UInt64 in 1...5 { window.begin(frame) }
        window.complete(4)
        window.complete(2)
        window.complete(5)
        #expect(window.acknowledgeable(processed: 5) == 0)
        #expect(!window.isEmpty)
        window.complete(1)
        // 1 and 2 are done; 3 still waits.
        #expect(window.acknowledgeable(processed: 5) == 2)
        window.complete(3)
        // 3 releases 4 and 5, completed early.
        #expect(window.acknowledgeable(processed: 5) == 5)
        #expect(window.isEmpty)
    }

    @Test func completingWhenNothingWaitsChangesNothing() {
        var window = CompletionWindow()
        window.complete(3)
        #expect(window.isEmpty)
        #expect(window.acknowledgeable(processed: 4) == 4)
        window.begin(6)
        #expect(window.acknowledgeable(processed: 6) == 5)
    }

    @Test func windowIsReusableAfterItEmpties() {
        var window = CompletionWindow()
        for round: UInt64 in 0..<5 {
            let base = round * 10
            window.begin(base + 1)
            window.begin(base + 2)
            window.complete(base + 2)
            #expect(window.acknowledgeable(processed: base + 3) == base)
            window.complete(base + 1)
            #expect(window.isEmpty)
            #expect(window.acknowledgeable(processed: base + 3) == base + 3)
        }
    }

    @Test(arguments: [7, 8, 9, 1234] as [UInt64])
    func randomCompletionOrderMatchesTheDefinition(seed: UInt64) {
        var generator = CodecFixtures.SeededGenerator(seed: seed)
        var window = CompletionWindow()
        // Frames still waiting, ascending: the model.
        var pending: [UInt64] = []
        var processed: UInt64 = 0
        // Enough frames to pass the window's compaction threshold several times.
        for step in 0..<20_000 {
            if Int.random(in: 0..<3, using: &generator) < 2 {
                processed += 1
                if Bool.random(using: &generator) {
                    window.begin(processed)
                    pending.append(processed)
                }
            } else if !pending.isEmpty {
                // Mostly the earliest, sometimes any: engines complete in
                // order per room, but rooms interleave.
                let index =
                    Int.random(in: 0..<4, using: &generator) == 0 ? Int.random(in: 0..<pending.count, using: &generator) : 0
                window.complete(pending.remove(at: index))
            }
            // By definition: everything processed before the earliest frame still waiting.
            let expected = pending.first.map { $0 - 1 } ?? processed
            #expect(window.acknowledgeable(processed: processed) == expected, "step \(step)")
            #expect(window.isEmpty == pending.isEmpty, "step \(step)")
        }
        for frame in pending.reversed() { window.complete(frame) }
        #expect(window.isEmpty)
        #expect(window.acknowledgeable(processed: processed) == processed)
    }

    @Test func earlyCompletionsSurviveTheWindowCompactingItsStorage() {
        var window = CompletionWindow()
        for frame: UInt64 in 1...3000 { window.begin(frame) }
        window.complete(2500)
        window.complete(2999)
        // In order up to 2000: the window drops its completed prefix on the way.
        for frame: UInt64 in 1...2000 { window.complete(frame) }
        #expect(window.acknowledgeable(processed: 3000) == 2000)
        for frame: UInt64 in 2001...2499 { window.complete(frame) }
        // 2500 was done early, so 2501 is the earliest still waiting.
        #expect(window.acknowledgeable(processed: 3000) == 2500)
        for frame: UInt64 in 2501...2998 { window.complete(frame) }
        #expect(window.acknowledgeable(processed: 3000) == 2999)
        window.complete(3000)
        #expect(window.isEmpty)
        #expect(window.acknowledgeable(processed: 3000) == 3000)
    }

    @Test func longBacklogCompletedInOrderDrainsFully() {
        var window = CompletionWindow()
        for frame: UInt64 in 1...5000 { window.begin(frame) }
        for frame: UInt64 in 1...5000 {
            window.complete(frame)
            #expect(window.acknowledgeable(processed: 5000) == (frame == 5000 ? 5000 : frame))
        }
        #expect(window.isEmpty)
    }
}
