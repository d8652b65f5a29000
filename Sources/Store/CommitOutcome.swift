/// What one successful commit did.
public struct CommitOutcome: Equatable, Sendable {
    /// The highest batch number now committed for the router.
    public var through: UInt64
    public var batches = 0
    public var linesStored = 0
    /// Lines at or below their room's last offset: already stored (a resend).
    public var linesSkipped = 0

    public init(through: UInt64, batches: Int = 0, linesStored: Int = 0, linesSkipped: Int = 0) {
        self.through = through
        self.batches = batches
        self.linesStored = linesStored
        self.linesSkipped = linesSkipped
    }
}
