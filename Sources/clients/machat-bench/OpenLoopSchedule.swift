@preconcurrency import Glibc
import CLinux
import Reactor

/// Latency mode's senders: each sends at a fixed rate from a random phase,
/// whatever the server does (open loop). A send's timestamp is its scheduled
/// time, so a stall anywhere (server or bench) shows up as latency instead of
/// silently delaying the next send (no coordinated omission).
///
/// Due times live in one min-heap; a timerfd armed at the earliest one
/// (timerfd_create(2), absolute CLOCK_MONOTONIC) wakes the loop with
/// nanosecond precision, where an epoll timeout would round to milliseconds.
final class OpenLoopSchedule: EventHandler {
    private struct Entry {
        var due: UInt64
        var member: Int32
    }

    private let loop: EventLoop
    private let timer: FileDescriptor
    private var heap: [Entry] = []
    private let interval: UInt64
    private let end: UInt64
    private let send: (Int, UInt64) -> Void

    /// Schedules `members` from `start` until `end` at `rate` per second each;
    /// `send(member, scheduledTime)` is called for every due message.
    init(
        loop: EventLoop, members: [Int], rate: Double, start: UInt64, end: UInt64,
        send: @escaping (Int, UInt64) -> Void
    ) throws(SystemError) {
        self.loop = loop
        self.interval = max(1, UInt64(1e9 / rate))
        self.end = end
        self.send = send
        let raw = try Syscall.retrying("timerfd_create") {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK) | Int32(TFD_CLOEXEC))
        }
        timer = FileDescriptor(rawValue: raw)
        var generator = SystemRandomNumberGenerator()
        heap.reserveCapacity(members.count)
        for member in members {
            push(Entry(due: start + UInt64.random(in: 0..<interval, using: &generator), member: Int32(member)))
        }
        try loop.register(timer, interest: Interest.read, handler: self)
        arm()
    }

    /// Stops sending and releases the timer.
    func stop() {
        heap.removeAll()
        loop.deregister(timer)
        timer.close()
    }

    func handleEvents(_ events: UInt32) {
        var expirations: UInt64 = 0
        _ = read(timer.rawValue, &expirations, 8)
        let now = MonotonicClock.now()
        while let first = heap.first, first.due <= now {
            send(Int(first.member), first.due)
            let next = first.due + interval
            if next < end {
                heap[0].due = next
                siftDown(0)
            } else {
                popFirst()
            }
        }
        arm()
    }

    private func arm() {
        guard let first = heap.first else { return }
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(first.due / 1_000_000_000)
        spec.it_value.tv_nsec = Int(first.due % 1_000_000_000)
        _ = timerfd_settime(timer.rawValue, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].due <= heap[child].due { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private func popFirst() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { return }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1].due < heap[left].due { smallest = left + 1 }
            if heap[parent].due <= heap[smallest].due { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
