import Reactor
import RouterProtocol
import WebSocket

/// Fan-out: each line from the router is encoded at most once per format its
/// local members want, and the same bytes are copied to each of them.
extension Gateway {
    /// Writes one ordered line to every local member of the room.
    func deliver(room roomID: RoomID, line: LineView) {
        guard let room = rooms[roomID] else { return }
        metrics.deliveries.increment(
            by: room.text.sessions.count &+ room.json.sessions.count &+ room.catchingUp.sessions.count)
        // A clock step backwards counts as no delay rather than a huge one.
        metrics.deliveryLatency.observe(batchWallClock > line.time ? batchWallClock &- line.time : 0)
        room.lastOffset = line.offset
        if !room.text.isEmpty {
            withFramedText(line) { bytes in
                for member in room.text.sessions { member.connection.write(bytes) }
            }
        }
        if !room.json.isEmpty {
            withFramedJSON({ ClientJSON.appendMessage(roomJSON: room.nameJSON, line: line, into: &$0) }) { bytes in
                for member in room.json.sessions { member.connection.write(bytes) }
            }
        }
        // Members still taking their history keep live lines for later.
        for member in room.catchingUp.sessions {
            switch member.format {
            case .text: withFramedText(line) { hold($0, for: member) }
            case .json:
                withFramedJSON({ ClientJSON.appendMessage(roomJSON: room.nameJSON, line: line, into: &$0) }) {
                    hold($0, for: member)
                }
            }
        }
    }

    /// A join or leave in the room, for the JSON members that asked for them.
    func presence(room roomID: RoomID, kind: PresenceKind, time: UInt64, name: String) {
        guard let room = rooms[roomID] else { return }
        let waiting = room.catchingUp.sessions.filter(\.wantsPresence)
        guard !room.presence.isEmpty || !waiting.isEmpty else { return }
        // Events of other members only: with a shared engine a member's own
        // join can reach its gateway after its JOINED.
        withFramedJSON({ ClientJSON.appendPresence(kind: kind, name: name, time: time, into: &$0) }) { bytes in
            for member in room.presence.sessions where member.name != name { member.connection.write(bytes) }
            for member in waiting where member.name != name { hold(bytes, for: member) }
        }
    }

    /// The seed format: `name:text\n` as it is on TCP (a slice of the router's
    /// frame, no copy), in one text frame on WebSocket.
    @inline(__always)
    func withFramedText(_ line: LineView, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard isWebSocket else {
            body(line.payload)
            return
        }
        textScratch.removeAll(keepingCapacity: true)
        WebSocketFrame.appendHeader(into: &textScratch, opcode: .text, length: line.payload.count)
        textScratch.append(contentsOf: line.payload)
        textScratch.withUnsafeBytes(body)
    }

    /// A JSON object from `encode`, with a newline on TCP or in one text frame
    /// on WebSocket. The frame header goes in front of the object once its
    /// length is known, into room kept for it, so nothing is copied twice.
    @inline(__always)
    func withFramedJSON(_ encode: (inout [UInt8]) -> Void, _ body: (UnsafeRawBufferPointer) -> Void) {
        jsonScratch.removeAll(keepingCapacity: true)
        guard isWebSocket else {
            encode(&jsonScratch)
            jsonScratch.append(UInt8(ascii: "\n"))
            jsonScratch.withUnsafeBytes(body)
            return
        }
        let reserved = WebSocketFrame.maxHeaderSize
        jsonScratch.append(contentsOf: repeatElement(0, count: reserved))
        encode(&jsonScratch)
        let start = WebSocketFrame.writeHeader(
            into: &jsonScratch, endingAt: reserved, opcode: .text, length: jsonScratch.count - reserved)
        jsonScratch.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Keeps live bytes for a member taking its history; past the member's
    /// outbound limit it is a slow consumer like any other.
    func hold(_ bytes: UnsafeRawBufferPointer, for member: GatewaySession) {
        guard member.catchUp != nil else { return }
        member.catchUp!.held.append(contentsOf: bytes)
        let pending = member.catchUp!.held.count + member.connection.pendingOutboundBytes
        if pending > member.connection.outboundLimit {
            member.catchUp!.held = []
            member.connection.close(.slowConsumer(pending: pending, limit: member.connection.outboundLimit))
        }
    }
}
