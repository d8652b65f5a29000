/// What a `RedisConnection` tells its owner besides replies.
public protocol RedisConnectionDelegate: AnyObject {
    /// The state changed. On `.down` the callbacks of commands in flight have
    /// already been called with `connectionLost`, in the order sent; on
    /// `.ready` commands queued while down have already been written.
    func redisConnection(_ connection: RedisConnection, didChangeState state: RedisConnectionState)
}
