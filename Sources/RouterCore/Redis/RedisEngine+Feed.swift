import Reactor
import Redis
import RouterProtocol

/// Delivery: a room's events come from its channel and leave in offset
/// order. Pub/sub is at-most-once, so a gap (a publish missed while the
/// subscriber reconnected, or before the subscription took effect) is filled
/// from the room's stream before anything later is delivered.
extension RedisEngine {
    /// A publish on a room's channel.
    func channelMessage(_ payload: [UInt8], channel: [UInt8]) {
        guard let feed = feed(forChannel: channel) else { return }
        guard let message = RoomChannelMessage(payload) else {
            Log.error("unreadable message on a room channel; ignored", ["room": feed.name, "bytes": payload.count])
            return
        }
        let epoch = message.epochString
        if let known = feed.epoch, known != epoch, !epoch.isEmpty {
            // Redis lost the room's state and another node started a new
            // epoch: this node's offsets mean nothing any more.
            let firstOffset = message.events.lazy.compactMap { event -> UInt64? in
                if case .message(let offset, _, _, _) = event { return offset }
                return nil
            }.first
            restartFeed(feed, epoch: epoch, lastOffset: (firstOffset ?? 1) - 1)
        } else if feed.epoch == nil && !epoch.isEmpty {
            feed.epoch = epoch
        }
        let canDeliverAtOnce =
            feed.joinsInFlight == 0 && !feed.isFilling && !feed.hasQueued && feed.admissions.isEmpty
            && feed.next > 0
        message.payload.withUnsafeBytes { raw in
            for event in message.events {
                switch event {
                case .message(let offset, let time, let name, let text):
                    if canDeliverAtOnce && !feed.hasQueued && offset == feed.next {
                        // The common case: the next line, straight from the payload.
                        feed.next += 1
                        deliver(
                            feed, offset: offset, time: time, name: UnsafeRawBufferPointer(rebasing: raw[name]),
                            text: UnsafeRawBufferPointer(rebasing: raw[text]))
                    } else if feed.next == 0 || offset >= feed.next {
                        feed.push(
                            .message(StreamLine(offset: offset, time: time, name: Array(raw[name]), text: Array(raw[text]))))
                    }
                case .presence(let kind, let time, let name):
                    let item = RoomFeed.Item.presence(kind: kind, time: time, name: String(decoding: raw[name], as: UTF8.self))
                    if canDeliverAtOnce && !feed.hasQueued {
                        emit(item, in: feed)
                    } else {
                        feed.push(item)
                    }
                }
            }
        }
        if feed.hasQueued { drain(feed) }
    }

    /// Delivers what may be delivered: nothing while a local join is being
    /// answered or a gap is being filled; admissions at their offsets.
    func drain(_ feed: RoomFeed) {
        guard feed.joinsInFlight == 0, !feed.isFilling else { return }
        if feed.next == 0 {
            // The first answer for this room tells where delivery starts.
            guard let first = feed.admissions.first else { return }
            feed.next = first.after + 1
            if feed.epoch == nil { feed.epoch = first.grant.epoch }
            // Publishes before the subscription took effect are only in the stream.
            if feed.isSubscribed {
                admitDue(feed)
                catchUp(feed)
                return
            }
        }
        while true {
            admitDue(feed)
            guard let item = feed.first else { break }
            switch item {
            case .message(let line):
                if line.offset < feed.next {
                    _ = feed.popFirst()
                } else if line.offset == feed.next {
                    _ = feed.popFirst()
                    feed.next += 1
                    line.name.withUnsafeBytes { name in
                        line.text.withUnsafeBytes { text in
                            deliver(feed, offset: line.offset, time: line.time, name: name, text: text)
                        }
                    }
                } else {
                    fill(feed, through: line.offset - 1)
                    return
                }
            case .presence:
                _ = feed.popFirst()
                emit(item, in: feed)
            }
        }
        // Admissions past what has arrived: the lines before them are in the stream.
        if let waiting = feed.admissions.first(where: { $0.after >= feed.next }) {
            fill(feed, through: waiting.after)
        }
    }

    /// Admits the joins whose offset has been reached.
    private func admitDue(_ feed: RoomFeed) {
        while let index = feed.admissions.firstIndex(where: { $0.after < feed.next }) {
            let admission = feed.admissions.remove(at: index)
            let member = admission.member
            guard member.isPending, directory.member(gateway: member.gateway, conn: member.conn) === member else { continue }
            directory.admit(member)
            // Delivered past its offset already (an epoch restart): those
            // lines come as history.
            var parts = admission.grant
            if feed.next - 1 > parts.lastOffset {
                parts = JoinGrantParts(epoch: feed.epoch ?? parts.epoch, lastOffset: feed.next - 1, firstHeld: parts.firstHeld)
            }
            events.joined(
                member, grant: grant(for: member.options, parts: parts, since: admission.after), members: admission.names)
        }
    }

    /// The grant a join gets, as the memory engine computes it, from what
    /// the shard answered: the log is the last `-history-size` lines the
    /// stream holds.
    func grant(for options: JoinOptions, parts: JoinGrantParts, since joinedAt: UInt64) -> JoinGrant {
        let last = parts.lastOffset
        let sizeFloor = last >= UInt64(settings.history.linesPerRoom) ? last - UInt64(settings.history.linesPerRoom) + 1 : 1
        let firstHeld = max(parts.firstHeld, sizeFloor)
        let held = last >= firstHeld ? Int(last - firstHeld + 1) : 0
        var grant = JoinGrant(lastOffset: last, historyFrom: 0, recovered: false, epoch: parts.epoch)
        func recent(_ lines: Int) -> JoinGrant {
            var recent = grant
            let count = min(lines, held)
            if count > 0 { recent.historyFrom = last - UInt64(count) + 1 }
            return recent
        }
        // Lines between the join's own offset and a later start of delivery
        // are owed to the member in any case.
        let owed = joinedAt < last ? joinedAt + 1 : 0
        let cap = min(options.history.map(Int.init) ?? settings.history.linesPerRoom, settings.history.linesPerRoom)
        if let resume = options.resume {
            if resume.epoch == parts.epoch && resume.since <= last && resume.since &+ 1 >= firstHeld {
                grant.recovered = true
                grant.historyFrom = resume.since < last ? resume.since + 1 : 0
                return grant
            }
            if options.isRejoin { return owed > 0 ? withOwed(grant, owed) : grant }
            return withOwed(recent(cap), owed)
        }
        guard let history = options.history, history > 0 else { return owed > 0 ? withOwed(grant, owed) : grant }
        return withOwed(recent(min(Int(history), settings.history.linesPerRoom)), owed)
    }

    private func withOwed(_ grant: JoinGrant, _ owed: UInt64) -> JoinGrant {
        guard owed > 0 else { return grant }
        var grant = grant
        grant.historyFrom = grant.historyFrom == 0 ? owed : min(grant.historyFrom, owed)
        return grant
    }

    private func deliver(
        _ feed: RoomFeed, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer
    ) {
        guard let room = directory.rooms[feed.name], !room.members.isEmpty else { return }
        events.ordered(room: room, offset: offset, time: time, name: name, text: text)
    }

    private func emit(_ item: RoomFeed.Item, in feed: RoomFeed) {
        guard case .presence(let kind, let time, let name) = item, let room = directory.rooms[feed.name], !room.members.isEmpty
        else { return }
        events.presence(room: room, kind: kind == UInt8(ascii: "J") ? .join : .leave, time: time, name: name)
    }

    /// Reads the lines `feed.next … through` from the stream, then goes on.
    func fill(_ feed: RoomFeed, through: UInt64) {
        guard !feed.isFilling, through >= feed.next else { return }
        feed.isFilling = true
        let from = feed.next
        let count = Int(min(through - from + 1, 4096))
        readStream(room: feed.name, from: from, through: through, count: count) { [unowned self] lines, exhausted in
            feed.isFilling = false
            guard feeds[feed.name] === feed else { return }
            guard let lines else {
                // Redis away: try again shortly.
                loop.schedule(afterMilliseconds: 100) { [unowned self] in
                    if feeds[feed.name] === feed { drain(feed) }
                }
                return
            }
            let wanted = lines.filter { $0.offset >= feed.next && $0.offset <= through }
            if wanted.first.map({ $0.offset > feed.next }) ?? exhausted {
                // The stream no longer holds them (trimmed, or a new epoch):
                // they cannot be delivered; say so and go on after them.
                let missingThrough = wanted.first.map { $0.offset - 1 } ?? through
                Log.warn(
                    "lines no longer in the room's stream were skipped",
                    [
                        "room": feed.name, "from": feed.next, "through": missingThrough, "read": lines.count,
                        "first_read": lines.first?.offset ?? 0, "asked_from": from,
                    ])
                feed.next = missingThrough + 1
            }
            feed.prepend(wanted)
            drain(feed)
        }
    }

    /// The subscriber reconnected: every room may have missed publishes.
    func resubscribed(_ shard: RedisShard, channels: [[UInt8]]) {
        for channel in channels {
            guard let feed = feed(forChannel: channel), feed.next > 0 else { continue }
            catchUp(feed)
        }
    }

    /// Redis confirmed a channel: publishes from now on arrive; what was
    /// published before (after the join's offset) is read from the stream.
    func channelConfirmed(_ channel: [UInt8]) {
        guard let feed = feed(forChannel: channel) else { return }
        feed.isSubscribed = true
        if feed.next > 0 { catchUp(feed) }
    }

    /// Reads whatever the stream has after `next` (a gap with no later
    /// publish to reveal it).
    func catchUp(_ feed: RoomFeed) {
        guard !feed.isFilling else { return }
        feed.isFilling = true
        readStream(room: feed.name, from: feed.next, through: UInt64(Int64.max), count: 4096) { [unowned self] lines, _ in
            feed.isFilling = false
            guard feeds[feed.name] === feed else { return }
            if let lines { feed.prepend(lines.filter { $0.offset >= feed.next }) }
            drain(feed)
        }
    }

    /// The room's log started over under `epoch`: delivery continues after
    /// `lastOffset` and every local member is told.
    func restartFeed(_ feed: RoomFeed, epoch: String, lastOffset: UInt64) {
        feed.epoch = epoch
        feed.next = lastOffset + 1
        feed.queue = []
        feed.queueHead = 0
        guard let room = directory.rooms[feed.name], !room.members.isEmpty else { return }
        let grant = JoinGrant(lastOffset: lastOffset, historyFrom: 0, recovered: false, epoch: epoch)
        let key = settings.prefix + "u:" + feed.name
        do {
            try shards[feed.shard].connection.send("HKEYS", key) { [unowned self] result in
                let names =
                    (try? result.get())?.elements?.compactMap { $0.bytes.map { String(decoding: $0, as: UTF8.self) } } ?? []
                guard let room = directory.rooms[feed.name] else { return }
                events.epochChanged(room: room, grant: grant, members: names.sorted())
            }
        } catch {
            events.epochChanged(room: room, grant: grant, members: room.members.keys.sorted())
        }
    }
}
