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

/// The wall clock, for times shown to people (a line's server time); never
/// for measuring intervals, which is `MonotonicClock`'s job.
public enum WallClock {
    /// Milliseconds since the Unix epoch (CLOCK_REALTIME).
    @inline(__always)
    public static func milliseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
    }
}
