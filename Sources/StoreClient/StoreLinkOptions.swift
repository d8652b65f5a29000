import Reactor

import StoreProtocol

/// Settings of a `StoreLink`.
public struct StoreLinkOptions: Sendable {
    /// The router's history bounds, sent in HELLO for the store to apply.
    public var retention: RetentionSettings
    /// Uncommitted bytes (encoded batches) the link holds at most before
    /// `isOverLimit`: the router then refuses lines (`message not accepted`).
    public var maxUncommittedBytes = 64 << 20
    /// A batch is closed early once it holds this many bytes.
    public var maxBatchBytes = 256 << 10
    public var backoff = ReconnectBackoff()
    /// A connection without WELCOME by then is dropped and retried.
    public var handshakeTimeoutMilliseconds = 5000
    /// Uncommitted lines older than this are logged (once per episode).
    public var stallWarningMilliseconds = 5000
    /// This router process; random, so the store tells a resend (same
    /// instance) from a new router.
    public var instance = UInt64.random(in: 1...UInt64.max)

    public init(retention: RetentionSettings) {
        self.retention = retention
    }
}
