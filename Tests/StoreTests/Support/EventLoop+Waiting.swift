@preconcurrency import Glibc
import Reactor

extension EventLoop {
    /// Runs turns until `condition` holds or `timeout` seconds pass; returns
    /// whether it holds. Each turn waits at most 10 ms.
    @discardableResult
    func run(timeout: Double = 10, until condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        while !condition() {
            if MonotonicClock.now() >= deadline { return false }
            runOnce(maxWaitMilliseconds: 10)
        }
        return true
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double { Double(MonotonicClock.now()) / 1e9 }

/// Waits (sleeping 5 ms between checks) until `condition` holds; false on timeout.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}
