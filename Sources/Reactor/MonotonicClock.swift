@preconcurrency import Glibc

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC), for deadlines and timers.
public enum MonotonicClock {
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Milliseconds to nanoseconds.
    @inline(__always)
    public static func ms(_ value: Int) -> UInt64 { UInt64(max(0, value)) &* 1_000_000 }
}
