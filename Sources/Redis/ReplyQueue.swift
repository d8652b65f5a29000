/// A first-in first-out queue with O(1) append and removal from the front:
/// the callbacks of a pipelined connection, matched to replies in order.
/// Storage is compacted once the removed front is at least half of it, and
/// released when the queue empties after having grown large.
struct ReplyQueue<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { storage.count == head }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        // Clearing the slot releases the callback's captures now, not at compaction.
        storage[head] = nil
        head += 1
        if head == storage.count {
            if storage.capacity > 4096 { storage = [] } else { storage.removeAll(keepingCapacity: true) }
            head = 0
        } else if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
