import RouterProtocol

/// The router's truth about rooms and members: who is where under which name.
/// No I/O; the router's loop calls it and performs the sends, and RouterTests
/// drive it directly.
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

    public var memberCount: Int { members.count }
    public var roomCount: Int { rooms.count }

    @inline(__always)
    private static func key(_ gateway: GatewayID, _ conn: ConnectionID) -> UInt64 {
        UInt64(gateway) << 32 | UInt64(conn)
    }

    /// Adds a member, creating the room on first join.
    public func join(gateway: GatewayID, conn: ConnectionID, name: String, room roomName: String) -> Result<Member, Refusal> {
        let key = Self.key(gateway, conn)
        if members[key] != nil { return .failure(.alreadyJoined) }
        let room: Room
        if let existing = rooms[roomName] {
            if existing.members[name] != nil { return .failure(.nameTaken(name: name, room: roomName)) }
            room = existing
        } else {
            room = Room(id: nextRoomID, name: roomName)
            nextRoomID &+= 1
            if nextRoomID == 0 { nextRoomID = 1 }
            rooms[roomName] = room
        }
        let member = Member(gateway: gateway, conn: conn, name: name, room: room)
        room.members[name] = member
        room.addPresence(gateway)
        members[key] = member
        return .success(member)
    }

    /// The member behind a gateway's connection, if it joined.
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
        room.members[member.name] = nil
        room.removePresence(member.gateway)
        if room.members.isEmpty { rooms[room.name] = nil }
    }
}
