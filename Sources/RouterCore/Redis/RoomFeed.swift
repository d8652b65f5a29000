/// This node's view of one room's stream of events from Redis: what it has
/// delivered (`next`), and what waits — events that arrived while a local
/// join is being answered, after a gap, or during a gap fill. It delivers in
/// offset order only; pub/sub may lose or (after a fill) repeat a message,
/// neither of which reaches a member.
final class RoomFeed {
    /// Something waiting to be delivered, in the order it arrived.
    enum Item {
        case message(StreamLine)
        case presence(kind: UInt8, time: UInt64, name: String)
    }

    /// A join admitted at `after`: its member gets exactly the lines after it.
    struct Admission {
        let member: Member
        let after: UInt64
        let grant: JoinGrantParts
        let names: [String]
    }

    let name: String
    let shard: Int
    let channel: [UInt8]
    /// The room log's epoch as this node knows it; nil before the first answer.
    var epoch: String?
    /// The next offset to deliver; 0 while unknown (no answer yet).
    var next: UInt64 = 0
    var queue: [Item] = []
    var queueHead = 0
    /// Local joins sent to Redis and not answered yet: delivery waits for
    /// them, so each joins at exactly its offset.
    var joinsInFlight = 0
    /// Admissions waiting for their position.
    var admissions: [Admission] = []
    /// A read filling a gap is on its way.
    var isFilling = false
    /// Redis confirmed the channel subscription.
    var isSubscribed = false

    init(name: String, shard: Int, channel: [UInt8]) {
        self.name = name
        self.shard = shard
        self.channel = channel
    }

    var hasQueued: Bool { queueHead < queue.count }

    func push(_ item: Item) {
        queue.append(item)
    }

    func popFirst() -> Item? {
        guard queueHead < queue.count else { return nil }
        let item = queue[queueHead]
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 1024)
            queueHead = 0
        }
        return item
    }

    var first: Item? { queueHead < queue.count ? queue[queueHead] : nil }

    /// Puts lines read from the stream ahead of everything queued.
    func prepend(_ lines: [StreamLine]) {
        let rest = queue[queueHead...]
        queue = lines.map { .message($0) } + rest
        queueHead = 0
    }
}

/// The parts of a grant known from the join's answer, before history is chosen.
struct JoinGrantParts {
    let epoch: String
    let lastOffset: UInt64
    /// The oldest offset the stream holds.
    let firstHeld: UInt64
}
