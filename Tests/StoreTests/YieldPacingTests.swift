import Reactor
import Testing

@testable import Store

/// The store gives the CPU away between rooms of a long commit or fold
/// (`YieldPacer`); these check the pacer's rule and that the engine calls
/// it where the work is, and that yielding changes nothing stored.
@Suite("Yield pacing")
struct YieldPacingTests {
    @Test func aPacerYieldsOnlyOnceItsIntervalHasPassed() {
        var never = YieldPacer(intervalNanoseconds: 0)
        never.begin()
        for _ in 0..<100 { never.check() }
        #expect(never.yields == 0)

        var slow = YieldPacer(intervalNanoseconds: 60_000_000_000)
        slow.begin()
        for _ in 0..<100 { slow.check() }
        #expect(slow.yields == 0)

        // Every check after a nanosecond: the clock moves between two reads.
        var eager = YieldPacer(intervalNanoseconds: 1)
        eager.begin()
        for _ in 0..<100 { eager.check() }
        #expect(eager.yields >= 90)
    }

    @Test func theDefaultGivesTheCPUAwayEvery100Microseconds() throws {
        let directory = TemporaryDirectory()
        let history = try HistoryDatabase.openForWriting(directory: directory.path)
        let store = try StoreEngine(history: history, retention: StoreEngineTests.retention, clock: { 10_000 })
        #expect(store.pacer.intervalNanoseconds == 100_000)
    }

    @Test func commitsAndFoldsYieldBetweenRoomsAndStoreTheSame() throws {
        var stored: [[(String, UInt64, UInt64, String, String)]] = []
        var yields: [(commit: Int, fold: Int)] = []
        for interval: UInt64 in [0, 1] {
            let directory = TemporaryDirectory()
            let history = try HistoryDatabase.openForWriting(directory: directory.path)
            let store = try StoreEngine(history: history, retention: StoreEngineTests.retention, clock: { 10_000 })
            store.pacer.intervalNanoseconds = interval
            _ = store.beginSession(routerInstance: 3)
            var batches = Batches()
            // 100 rooms with two lines each: journal rows, then one fold.
            let lines = (0..<100).flatMap { Batches.lines("room-\($0)", count: 2) }
            let outcome = try store.commit([batches.batch(lines)])
            #expect(outcome.linesStored == 200)
            let afterCommit = store.pacer.yields
            #expect(try store.foldJournal() == 100)
            yields.append((afterCommit, store.pacer.yields - afterCommit))
            stored.append(try Rows.lines(store.database))
        }
        #expect(yields[0].commit == 0 && yields[0].fold == 0)
        // A check per room definition and per room written, at least.
        #expect(yields[1].commit >= 150 && yields[1].fold >= 150)
        #expect(stored[0].count == 200)
        #expect(stored[0].elementsEqual(stored[1]) { $0 == $1 })
    }
}
