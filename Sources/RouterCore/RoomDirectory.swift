import RouterProtocol

/// The router's truth about this node's rooms and members: who is where under
/// which name. No I/O; the engine and the router's loop call it, and
/// RouterTests drive it directly.
///
/// A member is *pending* from its JOIN until its engine admits it (at once
/// for the memory engine, after a round trip for a shared engine): a pending
/// member's lines are already passed on in order after its join, but it is
/// not yet among the room's members, so nothing is delivered to it.
public final class RoomDirectory {
    /// Why a join was refused; the text goes to the client after `error: `.
    public enum Refusal: Error, Equatable, Sendable {
        case nameTaken(name: String, room: String)
        case alreadyJoined

        public var reason: String {
            switch self {
            case .nameTaken(let name, let room):
                return "name \"\(name)\" is already taken in room \"\(room)\"; pick another name"
            case .alreadyJoined:
                return "this connection has already joined a room"
            }
        }
    }

    public private(set) var rooms: [String: Room] = [:]
    private var members: [UInt64: Member] = [:]
    private var nextRoomID: RoomID = 1

    public init() {}

    /// Members, pending ones included.
    public var memberCount: Int { members.count }
    public var roomCount: Int { rooms.count }

    /// Every member, pending ones included (re-registration after a shared
    /// store lost its state).
    public var allMembers: Dictionary<UInt64, Member>.Values { members.values }

    @inline(__always)
    private static func key(_ gateway: GatewayID, _ conn: ConnectionID) -> UInt64 {
        UInt64(gateway) << 32 | UInt64(conn)
    }

    /// Adds a member at once, creating the room on first join (one node: the
    /// directory's own names are the only ones).
    public func join(
        gateway: GatewayID, conn: ConnectionID, name: String, room roomName: String, gatewayInstance: UInt64 = 0,
        options: JoinOptions = .plain
    ) -> Result<Member, Refusal> {
        let result = reserve(
            gateway: gateway, conn: conn, name: name, room: roomName, gatewayInstance: gatewayInstance, options: options)
        if case .success(let member) = result { admit(member) }
        return result
    }

    /// Registers a pending member: its name is held in the room (no other
    /// local join may take it meanwhile) until `admit` or `cancel`.
    public func reserve(
        gateway: GatewayID, conn: ConnectionID, name: String, room roomName: String, gatewayInstance: UInt64,
        options: JoinOptions
    ) -> Result<Member, Refusal> {
        let key = Self.key(gateway, conn)
        if members[key] != nil { return .failure(.alreadyJoined) }
        let room: Room
        if let existing = rooms[roomName] {
            if existing.members[name] != nil || existing.pending[name] != nil {
                return .failure(.nameTaken(name: name, room: roomName))
            }
            room = existing
        } else {
            room = Room(id: nextRoomID, name: roomName)
            nextRoomID &+= 1
            if nextRoomID == 0 { nextRoomID = 1 }
            rooms[roomName] = room
        }
        let member = Member(
            gateway: gateway, conn: conn, name: name, room: room, gatewayInstance: gatewayInstance, options: options)
        room.pending[name] = member
        members[key] = member
        return .success(member)
    }

    /// A pending member becomes a member: deliveries reach it from now on.
    public func admit(_ member: Member) {
        let room = member.room
        guard member.isPending, room.pending[member.name] === member else { return }
        room.pending[member.name] = nil
        member.isPending = false
        room.members[member.name] = member
        room.addPresence(member.gateway)
    }

    /// A pending member was refused: it is forgotten.
    public func cancel(_ member: Member) {
        guard member.isPending, members[Self.key(member.gateway, member.conn)] === member else { return }
        members[Self.key(member.gateway, member.conn)] = nil
        detach(member)
    }

    /// The member behind a gateway's connection, if it joined (or is pending).
    @inline(__always)
    public func member(gateway: GatewayID, conn: ConnectionID) -> Member? {
        members[Self.key(gateway, conn)]
    }

    /// Removes a member; an emptied room is forgotten.
    @discardableResult
    public func leave(gateway: GatewayID, conn: ConnectionID) -> Member? {
        guard let member = members.removeValue(forKey: Self.key(gateway, conn)) else { return nil }
        detach(member)
        return member
    }

    /// Removes every member of a gateway whose link closed; the rooms stay for
    /// everyone else. Returns the members that left, each with its room (held
    /// strongly: a room that emptied is gone from the directory).
    @discardableResult
    public func removeGateway(_ gateway: GatewayID) -> [(member: Member, room: Room)] {
        let leaving = members.values.filter { $0.gateway == gateway }.map { ($0, $0.room) }
        for (member, _) in leaving {
            members[Self.key(member.gateway, member.conn)] = nil
            detach(member)
        }
        return leaving
    }

    private func detach(_ member: Member) {
        let room = member.room
        if member.isPending {
            if room.pending[member.name] === member { room.pending[member.name] = nil }
        } else {
            room.members[member.name] = nil
            room.removePresence(member.gateway)
        }
        if room.members.isEmpty && room.pending.isEmpty && rooms[room.name] === room { rooms[room.name] = nil }
    }
}
