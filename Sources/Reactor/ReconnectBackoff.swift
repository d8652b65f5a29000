/// Exponential reconnect backoff with ±50% jitter: the nominal delay starts
/// at `initialMilliseconds`, doubles on each failed attempt up to
/// `maximumMilliseconds`, and each actual delay is drawn uniformly from half
/// to one and a half of it, so processes that lost a peer together do not
/// all come back in the same millisecond. Reset once a connection is ready.
/// Used by the history store link and the Redis connections.
public struct ReconnectBackoff: Equatable, Sendable {
    public var initialMilliseconds: Int
    public var maximumMilliseconds: Int
    /// The nominal delay of the last attempt (0 before the first).
    public private(set) var nominalMilliseconds = 0

    public init(initialMilliseconds: Int = 20, maximumMilliseconds: Int = 1000) {
        precondition(
            initialMilliseconds >= 1 && maximumMilliseconds >= initialMilliseconds, "backoff needs 1 <= initial <= maximum")
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The delay before the next attempt, in milliseconds (at least 1).
    public mutating func nextDelay() -> Int {
        var generator = SystemRandomNumberGenerator()
        return nextDelay(using: &generator)
    }

    /// `nextDelay()` with a given source of randomness (for tests).
    public mutating func nextDelay(using generator: inout some RandomNumberGenerator) -> Int {
        nominalMilliseconds =
            nominalMilliseconds == 0 ? initialMilliseconds : min(nominalMilliseconds * 2, maximumMilliseconds)
        let half = nominalMilliseconds / 2
        return max(1, nominalMilliseconds + Int.random(in: -half...half, using: &generator))
    }

    /// Back to the initial delay (after a successful connection).
    public mutating func reset() {
        nominalMilliseconds = 0
    }
}
