@preconcurrency import Glibc

/// Helpers the test clients share for reading with deadlines.
enum Collecting {
    /// Removes and returns the first `\n`-terminated line of `buffer`
    /// (without the newline), or nil if no complete line is there yet.
    static func popLine(_ buffer: inout [UInt8]) -> String? {
        guard let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: buffer[..<newline], as: UTF8.self)
        buffer.removeSubrange(...newline)
        return line
    }

    /// The next line: `pop()` until it yields one, reading more with
    /// `fill(secondsLeft)` in between; nil once `timeout` passes or `fill`
    /// reports the end of the stream. (Two closures rather than an `inout`
    /// buffer: `fill` appends to the same buffer.)
    static func line(timeout: Double, pop: () -> String?, fill: (Double) -> Bool) -> String? {
        let deadline = MachatProcess.now() + timeout
        while true {
            if let line = pop() { return line }
            let left = deadline - MachatProcess.now()
            if left <= 0 { return nil }
            if !fill(min(left, 0.2)) { return pop() }
        }
    }

    /// Up to `count` values from `next(secondsLeft)`, stopping at the first nil
    /// or when `timeout` has passed.
    static func values<T>(_ count: Int, timeout: Double, next: (Double) -> T?) -> [T] {
        var values: [T] = []
        let deadline = MachatProcess.now() + timeout
        while values.count < count, let value = next(max(0, deadline - MachatProcess.now())) {
            values.append(value)
        }
        return values
    }

    /// Calls `attempt(secondsLeft)` (at most 3 s each) until it succeeds or
    /// `timeout` passes, 50 ms apart: for a gateway that is being restarted.
    static func retrying<T>(_ what: String, timeout: Double, _ attempt: (Double) throws -> T) throws -> T {
        let deadline = MachatProcess.now() + timeout
        var lastError: Error = HarnessError(description: "no attempt")
        while MachatProcess.now() < deadline {
            do {
                return try attempt(min(3, max(0.5, deadline - MachatProcess.now())))
            } catch {
                lastError = error
                usleep(50_000)
            }
        }
        throw HarnessError(description: "\(what) within \(timeout) s: \(lastError)")
    }
}
