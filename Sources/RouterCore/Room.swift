import RouterProtocol

/// Identifies one gateway link for the life of the router process.
public typealias GatewayID = UInt32

/// A chat room: its members by name, and how many of them each gateway holds,
/// so a message is sent once per gateway rather than once per member.
public final class Room {
    public let id: RoomID
    public let name: String
    /// Members by name; names are unique within a room across all gateways.
    public internal(set) var members: [String: Member] = [:]
    /// Members whose join the engine has not answered yet, by name.
    public internal(set) var pending: [String: Member] = [:]
    /// Gateways with members here, in the order they first joined, with counts.
    /// Small (one entry per gateway process), so an array beats a dictionary.
    public internal(set) var presence: [(gateway: GatewayID, count: Int)] = []
    /// The memory engine's log of this room; it outlives the room (a room
    /// lives only while it has members), so the engine keeps it too.
    public internal(set) var log: RoomLog?

    init(id: RoomID, name: String) {
        self.id = id
        self.name = name
    }

    func addPresence(_ gateway: GatewayID) {
        if let index = presence.firstIndex(where: { $0.gateway == gateway }) {
            presence[index].count += 1
        } else {
            presence.append((gateway, 1))
        }
    }

    func removePresence(_ gateway: GatewayID) {
        guard let index = presence.firstIndex(where: { $0.gateway == gateway }) else { return }
        presence[index].count -= 1
        if presence[index].count == 0 { presence.remove(at: index) }
    }
}

/// One joined client, known by its gateway and that gateway's connection id.
public final class Member {
    public let gateway: GatewayID
    public let conn: ConnectionID
    public let name: String
    /// The name's UTF-8 bytes, kept so deliveries are formatted without
    /// re-encoding the string per message.
    public let nameBytes: [UInt8]
    /// A room lives while it has members (pending ones included);
    /// unowned(unsafe) skips reference counting on every message.
    public unowned(unsafe) let room: Room
    /// The gateway process's random instance (HELLO): with `conn`, who this
    /// member is across router restarts, and with a line's sequence number
    /// what makes a resent line recognisable.
    public let gatewayInstance: UInt64
    /// What the join asked for (the member list, history).
    public let options: JoinOptions
    /// Joined but not yet admitted by the engine (see `RoomDirectory`).
    public internal(set) var isPending = true
    /// What an engine keeps for this member so that its lines cost no
    /// formatting (the Redis engine: the member's script arguments).
    var engineBytes: [UInt8] = []

    init(gateway: GatewayID, conn: ConnectionID, name: String, room: Room, gatewayInstance: UInt64, options: JoinOptions) {
        self.gateway = gateway
        self.conn = conn
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.room = room
        self.gatewayInstance = gatewayInstance
        self.options = options
    }
}
