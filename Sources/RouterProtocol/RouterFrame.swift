/// One message on the gateway ⇄ router link.
///
/// Gateway → router: `hello`, `join`, `say`, `leave`.
/// Router → gateway: `welcome`, `joined`, `rejected`, `deliver`, `ack`.
public enum RouterFrame: Equatable, Sendable {
    /// Type 1: `u16 version, str gateway`; the first frame a gateway sends.
    case hello(version: UInt16, gateway: String)
    /// Type 2: `u16 version`; the router's answer to `hello`.
    case welcome(version: UInt16)
    /// Type 3: `u32 conn, str name, str room`; a connection asks to enter a room.
    case join(conn: ConnectionID, name: String, room: String)
    /// Type 4: `u32 conn`, then the rest of the body is the text (UTF-8, no newline).
    case say(conn: ConnectionID, text: [UInt8])
    /// Type 5: `u32 conn`; the connection is gone.
    case leave(conn: ConnectionID)
    /// Type 6: `u32 conn, u32 room`; the join was accepted.
    case joined(conn: ConnectionID, room: RoomID)
    /// Type 7: `u32 conn, str reason`; the join was refused, `reason` is for the client.
    case rejected(conn: ConnectionID, reason: String)
    /// Type 8: `u32 room`, then the rest of the body is the payload, already
    /// formatted as `name:text\n`, to write to every local member of the room.
    case deliver(room: RoomID, payload: [UInt8])
    /// Type 9: `u64 count`, the total number of frames the router has fully
    /// processed on this link so far; the gateway resends what follows after a
    /// router restart (at-least-once).
    case ack(count: UInt64)
    /// Type 10: empty body; the gateway has sent the JOINs of all its live
    /// members. A freshly started router waits for this from every gateway
    /// before it relays lines, so no room is missing members that are
    /// still being replayed.
    case ready
}

/// Type byte of each frame kind on the wire.
enum RouterFrameType: UInt8 {
    case hello = 1
    case welcome = 2
    case join = 3
    case say = 4
    case leave = 5
    case joined = 6
    case rejected = 7
    case deliver = 8
    case ack = 9
    case ready = 10
}

extension RouterFrame {
    /// The frame's type byte on the wire.
    public var typeCode: UInt8 {
        frameType.rawValue
    }

    var frameType: RouterFrameType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .join: .join
        case .say: .say
        case .leave: .leave
        case .joined: .joined
        case .rejected: .rejected
        case .deliver: .deliver
        case .ack: .ack
        case .ready: .ready
        }
    }
}
