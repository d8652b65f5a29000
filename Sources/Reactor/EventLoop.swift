@preconcurrency import Glibc
import CLinux

/// Something that receives readiness events for a registered descriptor.
public protocol EventHandler: AnyObject {
    /// Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLHUP, …).
    func handleEvents(_ events: UInt32)
}

/// Something with queued output that the loop flushes once per turn.
public protocol Flushable: AnyObject {
    /// Writes what it can; called at the end of the loop turn it was marked dirty in.
    func flush()
}

/// Epoll event bits as `UInt32`, for readability at call sites.
public enum Interest {
    public static let read = UInt32(EPOLLIN.rawValue)
    public static let write = UInt32(EPOLLOUT.rawValue)
    public static let hangup = UInt32(EPOLLHUP.rawValue)
    public static let error = UInt32(EPOLLERR.rawValue)
    public static let readHangup = UInt32(EPOLLRDHUP.rawValue)
}

/// One epoll loop per process, single-threaded.
///
/// Level-triggered (STYLE.md): a handler that reads only part of what is queued
/// is called again next turn, so one busy connection cannot starve the others
/// and no handler must drain a socket to EAGAIN. EPOLLOUT is armed only while a
/// connection has unsent bytes, so the loop does not spin.
///
/// A turn is: wait for events (bounded by the next timer), dispatch them, run
/// due timers, flush every connection marked dirty during the turn (one write
/// per connection however many messages it got: Redis's `beforeSleep`), then
/// run deferred closes, so a descriptor is never closed and reused while events
/// for it are still being dispatched.
public final class EventLoop {
    private let epoll: FileDescriptor
    private var handlers: [EventHandler?] = []
    private var events: UnsafeMutablePointer<epoll_event>
    private let maxEvents = 1024
    private var timers = TimerQueue()
    private var dirty: [Flushable] = []
    private var deferred: [() -> Void] = []
    private var running = false

    /// A 64 KiB scratch buffer shared by every read in this loop, so an idle
    /// connection owns no read buffer of its own.
    public let readBuffer: UnsafeMutableRawBufferPointer

    public init() throws(SystemError) {
        let fd = try Syscall.retrying("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        epoll = FileDescriptor(rawValue: fd)
        events = .allocate(capacity: maxEvents)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        events.deallocate()
        readBuffer.deallocate()
        epoll.close()
    }

    /// Starts watching `fd` for `interest` and routes its events to `handler`.
    /// The loop holds the handler strongly until `deregister`.
    public func register(_ fd: FileDescriptor, interest: UInt32, handler: EventHandler) throws(SystemError) {
        var event = epoll_event()
        clinux_epoll_event_set(&event, interest, UInt64(UInt32(bitPattern: fd.rawValue)))
        _ = try Syscall.retrying("epoll_ctl") { epoll_ctl(epoll.rawValue, EPOLL_CTL_ADD, fd.rawValue, &event) }
        let index = Int(fd.rawValue)
        if index >= handlers.count {
            handlers.append(contentsOf: repeatElement(nil, count: index - handlers.count + 1))
        }
        handlers[index] = handler
    }

    /// Changes the events watched for `fd`.
    public func modify(_ fd: FileDescriptor, interest: UInt32) {
        var event = epoll_event()
        clinux_epoll_event_set(&event, interest, UInt64(UInt32(bitPattern: fd.rawValue)))
        if epoll_ctl(epoll.rawValue, EPOLL_CTL_MOD, fd.rawValue, &event) != 0 {
            Log.error("epoll_ctl modify failed", ["fd": fd.rawValue, "error": SystemError("epoll_ctl", errno: errno)])
        }
    }

    /// Stops watching `fd` (before it is closed).
    public func deregister(_ fd: FileDescriptor) {
        _ = epoll_ctl(epoll.rawValue, EPOLL_CTL_DEL, fd.rawValue, nil)
        let index = Int(fd.rawValue)
        if index < handlers.count { handlers[index] = nil }
    }

    /// Flushes `target` at the end of this turn. Callers keep their own
    /// "already dirty" flag so a connection is listed once per turn.
    @inline(__always)
    public func markDirty(_ target: Flushable) {
        dirty.append(target)
    }

    /// Runs `work` at the end of this turn, after flushing (used to close later).
    public func atEndOfTurn(_ work: @escaping () -> Void) {
        deferred.append(work)
    }

    /// Runs `callback` once, `milliseconds` from now.
    @discardableResult
    public func schedule(afterMilliseconds milliseconds: Int, _ callback: @escaping () -> Void) -> TimerID {
        timers.schedule(at: MonotonicClock.now() &+ MonotonicClock.ms(milliseconds), callback)
    }

    /// Cancels a timer; harmless if it already fired.
    public func cancel(_ timer: TimerID) {
        timers.cancel(timer)
    }

    /// Runs turns until `stop()`.
    public func run() {
        running = true
        while running {
            runOnce(maxWaitMilliseconds: -1)
        }
    }

    /// Makes `run()` return after the current turn.
    public func stop() {
        running = false
    }

    /// One turn of the loop; waits at most `maxWaitMilliseconds` (-1: until an
    /// event or the next timer).
    public func runOnce(maxWaitMilliseconds: Int) {
        var timeout = timers.millisecondsUntilNext(now: MonotonicClock.now())
        if maxWaitMilliseconds >= 0 && (timeout < 0 || timeout > maxWaitMilliseconds) {
            timeout = maxWaitMilliseconds
        }
        if !dirty.isEmpty || !deferred.isEmpty { timeout = 0 }
        let count = epoll_wait(epoll.rawValue, events, Int32(maxEvents), Int32(timeout))
        if count < 0 && errno != EINTR {
            Log.error("epoll_wait failed", ["error": SystemError("epoll_wait", errno: errno)])
        }
        if count > 0 {
            for i in 0..<Int(count) {
                let fd = Int(clinux_epoll_event_data(events + i))
                guard fd < handlers.count, let handler = handlers[fd] else { continue }
                handler.handleEvents(clinux_epoll_event_events(events + i))
            }
        }
        for callback in timers.popDue(now: MonotonicClock.now()) { callback() }
        endTurn()
    }

    /// Flushes dirty connections, then runs deferred work; repeats while either
    /// produced more (a close may flush, a flush may close).
    private func endTurn() {
        while !dirty.isEmpty || !deferred.isEmpty {
            if !dirty.isEmpty {
                let batch = dirty
                dirty.removeAll(keepingCapacity: true)
                for target in batch { target.flush() }
            }
            if !deferred.isEmpty {
                let work = deferred
                deferred.removeAll(keepingCapacity: true)
                for item in work { item() }
            }
        }
    }
}
