import RouterProtocol

/// This gateway's members of one room, for fan-out: the router sends a line
/// once, and the gateway encodes it once per format its members want and
/// writes the same bytes to each of them.
final class LocalRoom {
    let id: RoomID
    let name: String
    /// The room's name as a JSON string, quotes included, for message objects.
    let nameJSON: [UInt8]
    /// The room log's epoch, from the router's JOINED.
    var epoch: String
    /// The last offset delivered here: where members resume after a router restart.
    var lastOffset: UInt64
    /// Live members by format; `presence` is the JSON members that asked for
    /// join and leave events.
    private(set) var text = SessionList()
    private(set) var json = SessionList()
    private(set) var presence = SessionList()
    /// Members still being sent their history: live lines wait in their
    /// session until it is done.
    private(set) var catchingUp = SessionList()

    init(id: RoomID, name: String, epoch: String, lastOffset: UInt64) {
        self.id = id
        self.name = name
        var quoted: [UInt8] = []
        JSONWriter.appendString(name, into: &quoted)
        self.nameJSON = quoted
        self.epoch = epoch
        self.lastOffset = lastOffset
    }

    var isEmpty: Bool { text.isEmpty && json.isEmpty && catchingUp.isEmpty }

    /// Every member, whatever its state.
    var allMembers: [GatewaySession] { text.sessions + json.sessions + catchingUp.sessions }

    /// Adds a member that is to receive history first.
    func addCatchingUp(_ session: GatewaySession) {
        session.room = self
        catchingUp.add(session, slot: \.roomSlot)
    }

    /// Adds a live member, or moves a catching-up one to live.
    func addLive(_ session: GatewaySession) {
        if session.room === self { catchingUp.remove(session, slot: \.roomSlot) }
        session.room = self
        switch session.format {
        case .text: text.add(session, slot: \.roomSlot)
        case .json: json.add(session, slot: \.roomSlot)
        }
        if session.wantsPresence { presence.add(session, slot: \.presenceSlot) }
    }

    /// O(1): in each list the last member takes the leaver's slot.
    func remove(_ session: GatewaySession) {
        guard session.room === self else { return }
        if session.catchUp != nil {
            catchingUp.remove(session, slot: \.roomSlot)
        } else {
            switch session.format {
            case .text: text.remove(session, slot: \.roomSlot)
            case .json: json.remove(session, slot: \.roomSlot)
            }
            if session.wantsPresence { presence.remove(session, slot: \.presenceSlot) }
        }
        session.room = nil
    }
}

/// Sessions in an array with O(1) removal: each session remembers its slot.
struct SessionList {
    private(set) var sessions: [GatewaySession] = []

    var isEmpty: Bool { sessions.isEmpty }

    mutating func add(_ session: GatewaySession, slot: ReferenceWritableKeyPath<GatewaySession, Int>) {
        session[keyPath: slot] = sessions.count
        sessions.append(session)
    }

    mutating func remove(_ session: GatewaySession, slot: ReferenceWritableKeyPath<GatewaySession, Int>) {
        let index = session[keyPath: slot]
        guard index < sessions.count, sessions[index] === session else { return }
        let last = sessions.removeLast()
        if last !== session {
            sessions[index] = last
            last[keyPath: slot] = index
        }
    }
}
