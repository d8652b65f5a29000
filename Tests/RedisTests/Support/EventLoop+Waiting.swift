import Reactor

extension EventLoop {
    /// Runs turns until `condition` holds or `timeout` seconds pass; returns
    /// whether it holds. Each turn waits at most 10 ms.
    @discardableResult
    func run(timeout: Double = 5, until condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        while !condition() {
            if MonotonicClock.now() >= deadline { return false }
            runOnce(maxWaitMilliseconds: 10)
        }
        return true
    }
}
