/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, Sendable {
    let value: UInt64
}

/// A min-heap of deadlines with lazy cancellation: a cancelled timer stays in
/// the heap and is skipped when it comes due, so cancel is O(1).
struct TimerQueue {
    private struct Entry {
        let deadline: UInt64
        let id: UInt64
    }

    private var heap: [Entry] = []
    private var callbacks: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    mutating func schedule(at deadline: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        callbacks[id] = callback
        heap.append(Entry(deadline: deadline, id: id))
        siftUp(heap.count - 1)
        return TimerID(value: id)
    }

    mutating func cancel(_ timer: TimerID) {
        callbacks[timer.value] = nil
    }

    /// Milliseconds until the earliest live timer, rounded up; -1 if none.
    mutating func millisecondsUntilNext(now: UInt64) -> Int {
        while let first = heap.first, callbacks[first.id] == nil { popMin() }
        guard let first = heap.first else { return -1 }
        if first.deadline <= now { return 0 }
        return Int((first.deadline - now + 999_999) / 1_000_000)
    }

    /// Removes and returns every timer due at `now`. The caller runs them after
    /// this returns, so callbacks may schedule or cancel timers, and a callback
    /// that reschedules itself runs next turn at the earliest.
    mutating func popDue(now: UInt64) -> [() -> Void] {
        var due: [() -> Void] = []
        while let first = heap.first, first.deadline <= now {
            popMin()
            if let callback = callbacks.removeValue(forKey: first.id) { due.append(callback) }
        }
        return due
    }

    private mutating func popMin() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { return }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1].deadline < heap[left].deadline { smallest = left + 1 }
            if heap[parent].deadline <= heap[smallest].deadline { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
