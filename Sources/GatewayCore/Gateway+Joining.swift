import Reactor
import RouterProtocol

/// Joins as the router answers them: the welcome, history streamed at the
/// client's pace, then live lines with no gap and no duplicate between.
extension Gateway {
    /// Bytes of history asked for per FETCH: the next page is asked for once
    /// the client has taken this one, so history never trips the client's
    /// own outbound limit however long it is.
    static let historyPageBytes: UInt32 = 256 << 10

    /// Part of the member list for a join in progress (before its JOINED).
    func membersReceived(conn: ConnectionID, names: [String]) {
        guard let session = sessions[conn], session.phase == .joining || session.phase == .joined else { return }
        session.pendingMembers += names
    }

    func joinAccepted(conn: ConnectionID, room roomID: RoomID, grant: JoinGrant) {
        if let session = sessions[conn], session.phase == .joined, let room = session.room, room.id == roomID {
            epochChanged(session, room: room, grant: grant)
            return
        }
        guard let session = sessions[conn], session.phase == .joining else { return }
        let members = session.pendingMembers
        session.pendingMembers = []
        session.phase = .joined
        if !session.joinOptions.isRejoin { metrics.joins.increment() }
        let room: LocalRoom
        if let existing = rooms[roomID] {
            room = existing
        } else {
            room = LocalRoom(id: roomID, name: session.roomName, epoch: grant.epoch, lastOffset: grant.lastOffset)
            rooms[roomID] = room
        }
        // Every delivery up to the grant's offset came before this JOINED.
        room.lastOffset = grant.lastOffset
        room.epoch = grant.epoch
        let epochChanged = session.epoch != grant.epoch
        session.epoch = grant.epoch
        session.resumeOffset = grant.lastOffset
        // A member replayed after a router restart is told only if the log
        // it knew is gone (a new epoch): its offsets mean nothing any more.
        if session.format == .json && (!session.joinOptions.isRejoin || epochChanged) {
            var welcome: [UInt8] = []
            ClientJSON.appendWelcome(room: room, name: session.name, grant: grant, members: members, into: &welcome)
            welcome.withUnsafeBytes { session.writeFramed($0, addNewline: true) }
        }
        if grant.historyFrom > 0 && grant.historyFrom <= grant.lastOffset {
            session.catchUp = CatchUp(after: grant.historyFrom - 1, through: grant.lastOffset)
            room.addCatchingUp(session)
            requestHistoryPage(session)
        } else {
            room.addLive(session)
        }
        session.didJoin()
    }

    /// A second JOINED for a joined member: its room's log lost continuity
    /// (a shared store lost its data). Offsets restart under a new epoch;
    /// JSON members get a new welcome saying nothing was recovered.
    private func epochChanged(_ session: GatewaySession, room: LocalRoom, grant: JoinGrant) {
        let members = session.pendingMembers
        session.pendingMembers = []
        room.epoch = grant.epoch
        room.lastOffset = grant.lastOffset
        guard session.epoch != grant.epoch else { return }
        session.epoch = grant.epoch
        session.resumeOffset = grant.lastOffset
        guard session.format == .json else { return }
        var welcome: [UInt8] = []
        ClientJSON.appendWelcome(room: room, name: session.name, grant: grant, members: members, into: &welcome)
        welcome.withUnsafeBytes { session.writeFramed($0, addNewline: true) }
    }

    func joinRefused(conn: ConnectionID, reason: String) {
        guard let session = sessions[conn], session.phase == .joining || session.phase == .joined else { return }
        // REJECTED carries only the client's text; a taken name is the refusal the router makes.
        metrics.refused(reason.contains("is already taken") ? .nameTaken : .other)
        Log.info("join refused by router", ["conn": conn, "name": session.name, "room": session.roomName, "reason": reason])
        // The router never admitted it (or dropped it on a replay conflict):
        // no LEAVE is owed.
        session.joinSequence = 0
        session.sendError(reason, close: true, code: 1008)
    }

    /// One page of history for a member taking it: written to the client in
    /// its format, then the next page once the client has taken this one, or
    /// the live lines held meanwhile once history is done.
    func history(conn: ConnectionID, next: UInt64, done: Bool, lines: HistoryLines) {
        guard let session = sessions[conn], var catchUp = session.catchUp, let room = session.room else { return }
        catchUp.awaitingPage = false
        session.connection.write { buffer in
            for line in lines where line.offset > catchUp.after && line.offset <= catchUp.through {
                appendHistoryLine(line, room: room, for: session, into: &buffer)
                catchUp.after = line.offset
            }
        }
        catchUp.after = max(catchUp.after, min(next, catchUp.through))
        if done || catchUp.after >= catchUp.through {
            session.connection.notifiesOnDrain = false
            session.connection.write(catchUp.held)
            room.addLive(session)
            session.catchUp = nil
            return
        }
        session.catchUp = catchUp
        // The next page when this one has left for the client.
        session.connection.notifiesOnDrain = true
        if session.connection.pendingOutboundBytes == 0 { requestHistoryPage(session) }
    }

    /// A client's outbound buffer emptied: it may take more history.
    func sessionDrained(_ session: GatewaySession) {
        guard let catchUp = session.catchUp, !catchUp.awaitingPage else { return }
        requestHistoryPage(session)
    }

    func requestHistoryPage(_ session: GatewaySession) {
        guard let catchUp = session.catchUp, link.isWelcomed else { return }
        session.catchUp!.awaitingPage = true
        link.sendFetch(conn: session.conn, after: catchUp.after, through: catchUp.through, maxBytes: Self.historyPageBytes)
    }

    /// One history line in the member's format and transport framing.
    private func appendHistoryLine(_ line: LineView, room: LocalRoom, for session: GatewaySession, into buffer: inout [UInt8]) {
        switch session.format {
        case .text:
            session.appendFramed(line.payload, addNewline: false, into: &buffer)
        case .json:
            jsonScratch.removeAll(keepingCapacity: true)
            ClientJSON.appendMessage(roomJSON: room.nameJSON, line: line, into: &jsonScratch)
            jsonScratch.withUnsafeBytes { session.appendFramed($0, addNewline: true, into: &buffer) }
        }
    }
}
