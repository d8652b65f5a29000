/// Which frames of one link are complete, for acknowledgements: the router
/// may acknowledge frames only up to the first one an engine has not yet
/// completed (a line not yet as durable as the engine makes lines).
/// Frames complete synchronously unless `begin` was called for them.
struct CompletionWindow {
    /// Frames waiting for their engine, ascending.
    private var waiting: [UInt64] = []
    private var head = 0
    /// Frames completed while an earlier one still waits.
    private var doneEarly: Set<UInt64> = []

    var isEmpty: Bool { head == waiting.count }

    /// Frame `frame` completes later.
    mutating func begin(_ frame: UInt64) {
        waiting.append(frame)
    }

    /// Frame `frame` is complete.
    mutating func complete(_ frame: UInt64) {
        guard head < waiting.count else { return }
        if waiting[head] != frame {
            doneEarly.insert(frame)
            return
        }
        head += 1
        while head < waiting.count, doneEarly.remove(waiting[head]) != nil { head += 1 }
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: waiting.capacity <= 1024)
            head = 0
        } else if head > 1024 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
    }

    /// How many frames may be acknowledged when `processed` have been handled.
    func acknowledgeable(processed: UInt64) -> UInt64 {
        head < waiting.count ? waiting[head] - 1 : processed
    }
}
