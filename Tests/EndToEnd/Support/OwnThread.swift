import Foundation
import Testing

/// Runs each test of a suite on a thread of its own (`@Suite(.ownThread)`).
///
/// End-to-end tests block: they wait on sockets and child processes with
/// timeouts. Run on Swift's shared executor they would hold one of its few
/// threads (one per core) while they wait, so on a 2-core machine only two
/// such tests could wait at a time and the suite's time would be the sum of
/// its waits. On a thread of its own a waiting test costs nothing, and the
/// tests overlap as far as Swift Testing runs them in parallel.
struct OwnThreadTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // The suite itself is scoped too (testCase nil): only its tests get a thread.
        guard testCase != nil else {
            try await function()
            return
        }
        let executor = ThreadExecutor(name: test.name)
        defer { executor.finish() }
        let alone = test.traits.contains { $0 is AloneTrait }
        try await withTaskExecutorPreference(executor) {
            // On the executor's one thread from here on, so the lock is
            // taken and released by the same thread.
            EndToEndGate.shared.lock(exclusive: alone)
            defer { EndToEndGate.shared.unlock() }
            try await function()
        }
    }
}

/// Marks a test whose assertion is a time bound under load (`@Test(.alone)`):
/// it runs while no other end-to-end test on its own thread does, so the
/// bound measures the server, not the other tests sharing the cores.
struct AloneTrait: TestTrait {}

extension Trait where Self == AloneTrait {
    static var alone: Self { AloneTrait() }
}

/// Shared by the end-to-end tests on their own threads, exclusive for the
/// `.alone` ones; a waiting exclusive test goes before new shared ones.
final class EndToEndGate: @unchecked Sendable {
    static let shared = EndToEndGate()
    private let rwlock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    private init() {
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(rwlock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    func lock(exclusive: Bool) {
        _ = exclusive ? pthread_rwlock_wrlock(rwlock) : pthread_rwlock_rdlock(rwlock)
    }

    func unlock() {
        pthread_rwlock_unlock(rwlock)
    }
}

extension Trait where Self == OwnThreadTrait {
    /// Each test of the suite on a thread of its own; see `OwnThreadTrait`.
    static var ownThread: Self { OwnThreadTrait() }
}

/// A task executor with one thread that runs its jobs in order, until `finish`.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        // Room for deep test stacks (the default secondary thread stack is 512 KiB on some systems).
        thread.stackSize = 8 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the jobs queued so far have run.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
