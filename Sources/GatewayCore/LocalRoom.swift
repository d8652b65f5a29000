import RouterProtocol

/// This gateway's members of one room, for fan-out: the router sends a
/// message once, and the gateway writes the same bytes to each of these.
final class LocalRoom {
    let id: RoomID
    private(set) var members: [GatewaySession] = []

    init(id: RoomID) {
        self.id = id
    }

    var isEmpty: Bool { members.isEmpty }

    func add(_ session: GatewaySession) {
        session.roomSlot = members.count
        session.room = self
        members.append(session)
    }

    /// O(1): the last member takes the leaver's slot.
    func remove(_ session: GatewaySession) {
        let slot = session.roomSlot
        guard slot < members.count, members[slot] === session else { return }
        let last = members.removeLast()
        if last !== session {
            members[slot] = last
            last.roomSlot = slot
        }
        session.room = nil
    }
}
