/// Exponential reconnect backoff with ±50% jitter: the nominal delay starts
/// at `initialMilliseconds`, doubles per failed attempt up to
/// `maximumMilliseconds`, and each delay is drawn from half to one and a
/// half of it. Reset once the link is up again.
public struct ReconnectBackoff: Equatable, Sendable {
    public var initialMilliseconds: Int
    public var maximumMilliseconds: Int
    /// Nominal delay of the last attempt; 0 before the first.
    public private(set) var nominalMilliseconds = 0

    public init(initialMilliseconds: Int = 20, maximumMilliseconds: Int = 1000) {
        precondition(
            initialMilliseconds >= 1 && maximumMilliseconds >= initialMilliseconds, "backoff needs 1 <= initial <= maximum")
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The delay before the next attempt, in ms (at least 1).
    public mutating func nextDelay() -> Int {
        nominalMilliseconds = nominalMilliseconds == 0 ? initialMilliseconds : min(nominalMilliseconds * 2, maximumMilliseconds)
        let half = nominalMilliseconds / 2
        return max(1, nominalMilliseconds + Int.random(in: -half...half))
    }

    public mutating func reset() {
        nominalMilliseconds = 0
    }
}
