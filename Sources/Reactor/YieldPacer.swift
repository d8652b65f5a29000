@preconcurrency import Glibc

/// Lets other processes run during a long stretch of work on the loop (a
/// commit of many rooms, a fold of the journal): `check()` between pieces
/// of work calls `sched_yield()` once `intervalNanoseconds` have passed
/// since `begin()` or the last yield.
///
/// For processes off the delivery path (the history store, `SCHED_BATCH`).
/// A woken gateway or router preempts such a process only at the kernel's
/// discretion, and under load waits up to a time slice behind it; yielding
/// every ~100 µs bounds that wait by the pacer, not the scheduler. With
/// nothing else runnable the call returns at once (well under a microsecond).
public struct YieldPacer {
    /// Work between two yields; 0 never yields.
    public var intervalNanoseconds: UInt64
    /// Yields so far (the tests read it).
    public private(set) var yields = 0
    private var since: UInt64 = 0

    public init(intervalNanoseconds: UInt64) {
        self.intervalNanoseconds = intervalNanoseconds
    }

    /// A stretch of work starts now.
    public mutating func begin() {
        since = MonotonicClock.now()
    }

    /// Between two pieces of work: yields if the interval has passed.
    @inline(__always)
    public mutating func check() {
        guard intervalNanoseconds > 0 else { return }
        let now = MonotonicClock.now()
        guard now &- since >= intervalNanoseconds else { return }
        sched_yield()
        yields += 1
        since = MonotonicClock.now()
    }
}
