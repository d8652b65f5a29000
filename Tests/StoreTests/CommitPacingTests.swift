import Reactor
import Testing

@testable import Store

/// When the next commit starts: a trickle rests out the minimum interval
/// (fewer wake-ups and commits); a busy router never waits (its rate would
/// otherwise be capped at what the socket holds per interval).
@Suite("Commit pacing")
struct CommitPacingTests {
    private var configuration: StoreServer.Configuration {
        var configuration = StoreServer.Configuration(socketPath: "/unused", dataDirectory: "/unused")
        configuration.minimumCommitIntervalMilliseconds = 16
        configuration.restBelowBytes = 16 << 10
        return configuration
    }

    private func rest(afterMilliseconds elapsed: Double, bytes: Int) -> Int {
        StoreServer.restBeforeCommit(
            nanosecondsSinceLastCommit: UInt64(elapsed * 1_000_000), lastCommitBytes: bytes, configuration: configuration)
    }

    @Test func afterASmallCommitTheNextWaitsOutTheIntervalRoundedUp() {
        #expect(rest(afterMilliseconds: 0, bytes: 0) == 16)
        #expect(rest(afterMilliseconds: 1, bytes: 2_000) == 15)
        #expect(rest(afterMilliseconds: 15.2, bytes: (16 << 10) - 1) == 1)
    }

    @Test func onceTheIntervalIsOverTheCommitStartsAtOnce() {
        #expect(rest(afterMilliseconds: 16, bytes: 100) == 0)
        #expect(rest(afterMilliseconds: 500, bytes: 100) == 0)
    }

    @Test func afterABigCommitTheNextNeverRests() {
        #expect(rest(afterMilliseconds: 0, bytes: 16 << 10) == 0)
        #expect(rest(afterMilliseconds: 2, bytes: 1 << 20) == 0)
    }

    @Test func noIntervalMeansNoRest() {
        var configuration = configuration
        configuration.minimumCommitIntervalMilliseconds = 0
        #expect(
            StoreServer.restBeforeCommit(nanosecondsSinceLastCommit: 0, lastCommitBytes: 0, configuration: configuration) == 0)
    }
}
