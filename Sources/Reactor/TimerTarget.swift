/// A reference to an object that the object itself clears in its `deinit`,
/// for the closures of its timers in place of `[weak self]`.
///
/// A weak reference gives its object a side table, and from then on every
/// retain and release of that object takes the runtime's slow path: for an
/// object touched once per message (the store link, a Redis connection) that
/// was about 5% of the router. Loops are single-threaded, so a timer sees
/// either the live object or nil.
public final class TimerTarget<Object: AnyObject> {
    public unowned(unsafe) var object: Object?

    public init() {}
}
