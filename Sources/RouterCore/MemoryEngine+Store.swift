import Reactor
import StoreClient
import StoreProtocol

/// The durable store's side of the memory engine: loading the logs at
/// start, completing lines as the store commits them, and saying what the
/// store is doing.
extension MemoryEngine: StoreLinkDelegate {
    public func storeLinkDidBeginLoad(_ link: StoreLink) {
        // Again after a reconnect mid-load: what came before is sent again.
        forgetLogs()
        storedSequences = [:]
    }

    public func storeLink(_ link: StoreLink, didLoadRoom room: LoadedRoom) {
        // The loaded lines are the contiguous run that ends at the room's
        // last offset; the log starts just before them.
        let first = room.lastOffset - UInt64(room.lineCount)
        adopt(RoomLog(name: room.name, epoch: room.epoch, lastOffset: first, now: room.lastTime))
    }

    public func storeLink(_ link: StoreLink, didLoadLines lines: StoredLines, of room: LoadedRoom) {
        guard let log = logs[room.name], limits.linesPerRoom > 0 else { return }
        let before = log.bytes
        for line in lines {
            _ = log.append(time: line.time, name: line.name, text: line.text, maxLines: limits.linesPerRoom)
        }
        log.lastActive = max(log.lastActive, room.lastTime)
        totalBytes += log.bytes - before
    }

    public func storeLink(_ link: StoreLink, didLoadGateway mark: GatewayMark) {
        storedSequences[mark.instance] = max(storedSequences[mark.instance] ?? 0, mark.sequence)
    }

    public func storeLink(_ link: StoreLink, didFinishLoad summary: LoadSummary) {
        if totalBytes > limits.memoryBytes { enforceMemory() }
        loaded = true
        Log.info(
            "history loaded from the store",
            [
                "rooms": summary.rooms, "lines": summary.lines, "gateways": summary.gateways,
                "ms": (MonotonicClock.now() - loadStartedAt) / 1_000_000,
            ])
        noteBackpressure()
    }

    public func storeLink(_ link: StoreLink, didCommitThrough ticket: StoreTicket) {
        events.backingAnswered(afterNanoseconds: link.lastCommitNanoseconds)
        while awaitingHead < awaitingCommit.count, awaitingCommit[awaitingHead].ticket <= ticket {
            events.completed(awaitingCommit[awaitingHead].token)
            awaitingHead += 1
        }
        if awaitingHead == awaitingCommit.count {
            awaitingCommit.removeAll(keepingCapacity: awaitingCommit.capacity <= 65_536)
            awaitingHead = 0
        } else if awaitingHead > 4096 && awaitingHead * 2 > awaitingCommit.count {
            awaitingCommit.removeFirst(awaitingHead)
            awaitingHead = 0
        }
        noteBackpressure()
    }

    /// Tells the router when `isBackedUp` changed.
    func noteBackpressure() {
        let backed = isBackedUp
        guard backed != wasBackedUp else { return }
        wasBackedUp = backed
        if loaded && backed {
            Log.warn("history store holds its maximum of waiting lines; pausing gateways")
        }
        events.backpressureChanged()
    }
}
