/// What a `RedisSubscriber` tells its owner.
public protocol RedisSubscriberDelegate: AnyObject {
    /// A message published on `channel`, one of the channels held. Messages
    /// of one channel arrive in the order they were published.
    func subscriber(_ subscriber: RedisSubscriber, didReceive payload: [UInt8], on channel: [UInt8])
    /// After a reconnect, every channel held was subscribed again (the list).
    /// Pub/sub is at-most-once: messages published while the subscriber was
    /// down are lost, so the owner fills the gap from its durable log now.
    func subscriber(_ subscriber: RedisSubscriber, didResubscribe channels: [[UInt8]])
    /// Redis confirmed the subscription to `channel`: messages published
    /// from now on will arrive (also called for each channel on resubscribe).
    func subscriber(_ subscriber: RedisSubscriber, didConfirm channel: [UInt8])
    /// The connection's state changed.
    func subscriber(_ subscriber: RedisSubscriber, didChangeState state: RedisConnectionState)
}

extension RedisSubscriberDelegate {
    public func subscriber(_ subscriber: RedisSubscriber, didConfirm channel: [UInt8]) {}
    public func subscriber(_ subscriber: RedisSubscriber, didChangeState state: RedisConnectionState) {}
}
