import Reactor

/// Per-connection rate limit on lines: `rate` per second sustained, `burst`
/// at once. Tokens may go negative when one read holds many lines (they
/// cannot be un-read); the owner then stops reading until the debt is repaid.
struct TokenBucket {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var updated: UInt64

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = MonotonicClock.now()
    }

    /// Spends one token.
    @inline(__always)
    mutating func spend() {
        tokens -= 1
    }

    /// Refills for the time passed; returns the milliseconds until the balance
    /// is positive again, or 0 if it already is.
    mutating func refill() -> Int {
        let now = MonotonicClock.now()
        tokens = min(burst, tokens + Double(now - updated) / 1e9 * rate)
        updated = now
        if tokens >= 0 { return 0 }
        return max(1, Int((-tokens / rate * 1000).rounded(.up)))
    }
}
