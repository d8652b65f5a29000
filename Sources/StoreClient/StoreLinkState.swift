/// Names the batch a line went into; `committed(through:)` with a ticket at
/// or above it means the line is in the database. Tickets grow by one per
/// batch, starting at 1.
public typealias StoreTicket = UInt64

/// Where the link to the store stands.
public enum StoreLinkState: Equatable, Sendable {
    /// Not started.
    case idle
    /// Connected, HELLO sent, waiting for WELCOME.
    case handshaking
    /// Batches flow.
    case ready
    /// No connection; reconnecting after a delay. Batches wait.
    case down(reason: String)
    /// `stop()` was called.
    case stopped

    /// True when batches can be committed.
    public var isUp: Bool { self == .ready }
}
