/// One message on the gateway ⇄ router link.
///
/// Gateway → router: `hello`, `join`, `say`, `leave`, `ready`, `fetch`.
/// Router → gateway: `welcome`, `joined`, `rejected`, `deliver`, `ack`,
/// `members`, `presence`, `history`.
public enum RouterFrame: Equatable, Sendable {
    /// Type 1: `u16 version, str gateway, u64 instance`; the first frame a
    /// gateway sends. `instance` is random per gateway process, so the router
    /// can tell a restarted gateway from a reconnecting one.
    case hello(version: UInt16, gateway: String, instance: UInt64)
    /// Type 2: `u16 version`; the router's answer to `hello`.
    case welcome(version: UInt16)
    /// Type 3: `u32 conn, str name, str room, u8 flags, u32 history,
    /// u64 since, str epoch`; a connection asks to enter a room.
    case join(conn: ConnectionID, name: String, room: String, options: JoinOptions)
    /// Type 4: `u32 conn`, then the rest of the body is the text (UTF-8, no newline).
    case say(conn: ConnectionID, text: [UInt8])
    /// Type 5: `u32 conn`; the connection is gone.
    case leave(conn: ConnectionID)
    /// Type 6: `u32 conn, u32 room, u64 offset, u64 historyFrom, u8 flags,
    /// str epoch`; the join was accepted. Sent after every DELIVER of the room
    /// up to `grant.lastOffset` and before any later one.
    case joined(conn: ConnectionID, room: RoomID, grant: JoinGrant)
    /// Type 7: `u32 conn, str reason`; the join was refused, `reason` is for the client.
    case rejected(conn: ConnectionID, reason: String)
    /// Type 8: `u32 room, u64 offset, u64 time, u16 nameLength`, then the rest
    /// of the body is `name:text\n`: one ordered line for every local member of
    /// the room. The seed format is a slice of the frame, so text members are
    /// written without re-encoding.
    case deliver(room: RoomID, line: RoomLine)
    /// Type 9: `u64 count`, the total number of sequenced frames the router
    /// has fully processed on this link so far; the gateway resends what
    /// follows after a router restart (at-least-once).
    case ack(count: UInt64)
    /// Type 10: `u64 firstSequence`; the gateway has sent the JOINs of all its
    /// live members, and the held frames it resends next start at
    /// `firstSequence` of its own numbering. A freshly started router waits
    /// for this from every gateway before it relays lines.
    case ready(firstSequence: UInt64)
    /// Type 11: `u32 conn, u16 count, count × str`; part of the member list of
    /// the room a JOIN with `wantsMembers` entered. Every MEMBERS for a
    /// connection comes before its JOINED.
    case members(conn: ConnectionID, names: [String])
    /// Type 12: `u32 room, u8 kind, u64 time, str name`; a member joined or left.
    case presence(room: RoomID, kind: PresenceKind, time: UInt64, name: String)
    /// Type 13: `u32 conn, u64 after, u64 through, u32 maxBytes`; the gateway
    /// asks for the lines of the connection's room with offsets in
    /// `after+1 ... through`, at most about `maxBytes` of them. Not sequenced:
    /// a request, not a change, so ACK counts do not include it.
    case fetch(conn: ConnectionID, after: UInt64, through: UInt64, maxBytes: UInt32)
    /// Type 14: `u32 conn, u64 next, u8 done`, then lines, each `u64 offset,
    /// u64 time, u16 nameLength, u32 payloadLength, name:text\n`; the answer
    /// to one FETCH. `next` is the offset to ask after when `done` is false.
    case history(conn: ConnectionID, next: UInt64, done: Bool, lines: [RoomLine])
}

/// What a JOIN asks for beyond entering the room.
public struct JoinOptions: Equatable, Sendable {
    /// Lines of history to send before live lines; nil: none.
    public var history: UInt32?
    /// Resume after this offset if the room's log still has epoch `epoch`.
    public var resume: Resume?
    /// Send the room's member list (MEMBERS) before JOINED.
    public var wantsMembers: Bool
    /// A gateway replaying a live member after a router restart: send no
    /// history unless the resume recovers every missed line.
    public var isRejoin: Bool

    /// Where a resuming client left off.
    public struct Resume: Equatable, Sendable {
        public var since: UInt64
        public var epoch: String

        public init(since: UInt64, epoch: String) {
            self.since = since
            self.epoch = epoch
        }
    }

    public init(history: UInt32? = nil, resume: Resume? = nil, wantsMembers: Bool = false, isRejoin: Bool = false) {
        self.history = history
        self.resume = resume
        self.wantsMembers = wantsMembers
        self.isRejoin = isRejoin
    }

    /// A plain join: no history, no resume, no member list.
    public static let plain = JoinOptions()
}

/// The router's answer to an accepted JOIN.
public struct JoinGrant: Equatable, Sendable {
    /// The room's last offset at the join: history is at or below it, live
    /// lines above it.
    public var lastOffset: UInt64
    /// First offset of the history to fetch (up to `lastOffset`); 0: none.
    public var historyFrom: UInt64
    /// The join resumed and every line after `since` follows.
    public var recovered: Bool
    /// The room log's epoch; offsets mean something only under it.
    public var epoch: String

    public init(lastOffset: UInt64, historyFrom: UInt64, recovered: Bool, epoch: String) {
        self.lastOffset = lastOffset
        self.historyFrom = historyFrom
        self.recovered = recovered
        self.epoch = epoch
    }
}

/// One ordered line of a room.
public struct RoomLine: Equatable, Sendable {
    public var offset: UInt64
    /// Server time the line was ordered, in milliseconds since the Unix epoch.
    public var time: UInt64
    public var name: String
    public var text: [UInt8]

    public init(offset: UInt64, time: UInt64, name: String, text: [UInt8]) {
        self.offset = offset
        self.time = time
        self.name = name
        self.text = text
    }
}

/// A presence event's kind.
public enum PresenceKind: UInt8, Equatable, Sendable {
    case join = 1
    case leave = 2
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
    case members = 11
    case presence = 12
    case fetch = 13
    case history = 14
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
        case .members: .members
        case .presence: .presence
        case .fetch: .fetch
        case .history: .history
        }
    }
}
