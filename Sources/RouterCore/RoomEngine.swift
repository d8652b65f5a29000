import RouterProtocol

/// Where what a room *is* lives: names, offsets, history and presence. The
/// router is the loop-side shell (links, acks, backpressure, the rejoin
/// window); it hands the engine what its gateways sent and the engine answers
/// through `RoomEngineEvents`, at once (the memory engine) or later and in
/// batches (an engine that asks a remote store, such as Redis, collects a
/// loop turn's requests and sends them at the end of the turn).
///
/// The contract every engine keeps:
/// - events for one room come in that room's order: a `joined` at offset L
///   comes after every `ordered` line up to L and before L+1, so the member
///   gets exactly the lines after L live;
/// - a member's `say` after its `join` is ordered after the join, and after
///   its `leave` nothing of it is ordered;
/// - `say` either completes at once (returns true) or reports
///   `completed(token)` later; the router acknowledges a frame to its
///   gateway only once it completed (what "accepted" means to a client).
public protocol RoomEngine: AnyObject {
    /// Installs the receiver of events; called once, before anything else.
    func attach(_ events: RoomEngineEvents)
    /// A connection asks to enter a room; answered by `joined` or `refused`.
    func join(_ intent: JoinIntent)
    /// A line from a member. `sequence` is the gateway's own number for the
    /// frame (the same when the gateway resends it after a failure, 0 when
    /// unknown), so an engine that keeps lines can store each once. True if
    /// it is complete (ordered and as durable as this engine makes lines);
    /// false if `completed(token)` follows.
    func say(_ member: Member, text: UnsafeRawBufferPointer, sequence: UInt64, token: CompletionToken) -> Bool
    /// The member left (its connection closed).
    func leave(_ member: Member)
    /// Every member of a gateway whose link closed leaves.
    func removeGateway(_ gateway: GatewayID)
    /// Lines of the member's room after `after` up to `through`, about
    /// `maxBytes` of them; answered by `history`.
    func fetch(_ member: Member, after: UInt64, through: UInt64, maxBytes: Int)
    /// About once a second: expiry and other housekeeping.
    func tick()
    /// The router's rejoin window is over: every gateway has replayed its
    /// live members (or the window timed out). An engine that outlives the
    /// router can now drop what this node registered before it restarted.
    func rejoinWindowEnded()
    /// True while the engine cannot take more lines for now; the router
    /// stops reading gateways until `backpressureChanged`.
    var isBackedUp: Bool { get }
    /// True while the service this engine keeps rooms in (Redis shards, the
    /// history store) is reachable, in step and committing; always true for
    /// an engine without one. For `machat_backing_up` and `/healthz`.
    var isBackingHealthy: Bool { get }
}

/// What an engine tells the router. The router turns each into frames for
/// its gateways; none of these calls blocks.
public protocol RoomEngineEvents: AnyObject {
    /// The join was accepted; `members` is the sorted member list when the
    /// join asked for it (empty otherwise). Sent in room order (see `RoomEngine`).
    func joined(_ member: Member, grant: JoinGrant, members: [String])
    /// The join was refused; `reason` is for the client.
    func refused(gateway: GatewayID, conn: ConnectionID, reason: String)
    /// A line was ordered in `room`.
    func ordered(room: Room, offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer)
    /// Somebody joined or left `room`.
    func presence(room: Room, kind: PresenceKind, time: UInt64, name: String)
    /// The answer to `fetch`.
    func history(for member: Member, batch: HistoryBatch)
    /// A `say` that returned false is now complete.
    func completed(_ token: CompletionToken)
    /// `isBackedUp` changed.
    func backpressureChanged()
    /// The engine's backing service answered a batch `nanoseconds` after it
    /// was sent (once per batch, not per line), for the round-trip histogram.
    func backingAnswered(afterNanoseconds nanoseconds: UInt64)
    /// The log of `room` lost its continuity while members were in it (a
    /// shared store lost its data): every member is told the new epoch, with
    /// the room's member list when its join asked for it.
    func epochChanged(room: Room, grant: JoinGrant, members: [String])
}

/// A connection's request to enter a room, as the router hands it to the engine.
public struct JoinIntent: Sendable {
    public let gateway: GatewayID
    public let conn: ConnectionID
    public let name: String
    public let room: String
    public let options: JoinOptions
    /// The gateway process's random instance, from its HELLO.
    public let gatewayInstance: UInt64

    public init(
        gateway: GatewayID, conn: ConnectionID, name: String, room: String, options: JoinOptions, gatewayInstance: UInt64 = 0
    ) {
        self.gateway = gateway
        self.conn = conn
        self.name = name
        self.room = room
        self.options = options
        self.gatewayInstance = gatewayInstance
    }
}

/// Names one frame on one gateway link whose completion an engine reports later.
public struct CompletionToken: Equatable, Sendable {
    public let gateway: GatewayID
    public let frame: UInt64

    public init(gateway: GatewayID, frame: UInt64) {
        self.gateway = gateway
        self.frame = frame
    }
}

/// Lines an engine hands back for one fetch, already laid out as the lines
/// of a HISTORY frame so the router wraps them without another pass.
public struct HistoryBatch {
    /// The offset to ask after next, when not `done`.
    public var next: UInt64
    /// Every line up to the fetch's `through` has been handed out.
    public var done: Bool
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0

    public init(next: UInt64, done: Bool = false) {
        self.next = next
        self.done = done
    }

    /// Appends one line.
    public mutating func append(offset: UInt64, time: UInt64, name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer) {
        RouterFrame.appendHistoryLine(offset: offset, time: time, name: name, text: text, into: &bytes)
        count += 1
        next = offset
    }
}
