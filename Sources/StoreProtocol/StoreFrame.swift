/// One message on the router ⇄ store link, decoded into values (tests, and
/// every frame that is not on a hot path; APPEND and LINES also come as
/// borrowed views, see `StoreFrameDecoder.next(borrowing:)`).
///
/// Router → store: `hello`, `load`, `append`.
/// Store → router: `welcome`, `room`, `lines`, `gateways`, `loaded`,
/// `committed`, `status`.
public enum StoreFrame: Equatable, Sendable {
    /// Type 1: `u16 version, u64 instance, u32 linesPerRoom, u64 ttlMilliseconds`;
    /// the router's first frame. `instance` is random per router process, so
    /// the store can tell a resend of the same router from a new router;
    /// the retention settings are the router's, and the store applies them.
    case hello(version: UInt16, instance: UInt64, retention: RetentionSettings)
    /// Type 2: `u16 version, u32 linesPerRoom, u64 ttlMilliseconds,
    /// u64 committedThrough`; the answer to HELLO, with the retention in
    /// effect and the last batch of this router instance already committed
    /// (0 for a router the store has not seen), which need not be resent.
    case welcome(version: UInt16, retention: RetentionSettings, committedThrough: UInt64)
    /// Type 3: empty; asks for every room, its recent lines and the dedupe
    /// table, answered by ROOM/LINES…, GATEWAYS…, then LOADED.
    case load
    /// Type 4: `u64 id, str name, str epoch, u64 lastOffset, u64 lastTime,
    /// u32 lineCount`; one room of a load. Its `lineCount` lines follow in
    /// LINES frames.
    case room(LoadedRoom)
    /// Type 5: `u64 room`, then lines, each `u64 offset, u64 time,
    /// u16 nameLength, u32 textLength, name, text`, oldest first.
    case lines(room: UInt64, lines: [StoredLine])
    /// Type 6: `u32 count`, then `count × (u64 instance, u64 sequence)`: for
    /// each gateway process, the highest of its sequence numbers stored.
    case gateways([GatewayMark])
    /// Type 7: `u32 rooms, u64 lines, u32 gateways`; the load is complete.
    case loaded(LoadSummary)
    /// Type 8: `u64 batch`, then records (see `AppendRecord`); one batch of
    /// changes, committed in one transaction and answered by COMMITTED.
    case append(batch: UInt64, records: [AppendRecord])
    /// Type 9: `u64 through`; every batch up to and including `through` is
    /// committed to the database.
    case committed(through: UInt64)
    /// Type 10: `u8 condition, str reason`; the store cannot commit now
    /// (condition 1, e.g. the disk is full) or can again (condition 0).
    /// Batches that did not commit stay queued in the store and are retried.
    case status(StoreStatus)
}

/// History bounds the store applies on disk and to a load.
public struct RetentionSettings: Equatable, Sendable {
    /// Lines kept per room; 0 keeps none (offsets and epochs are still kept).
    public var linesPerRoom: UInt32
    /// No line older than this is kept or loaded, in milliseconds.
    public var ttlMilliseconds: UInt64

    public init(linesPerRoom: UInt32, ttlMilliseconds: UInt64) {
        self.linesPerRoom = linesPerRoom
        self.ttlMilliseconds = ttlMilliseconds
    }
}

/// A room as a load reports it. Its `lineCount` lines are the contiguous run
/// ending at `lastOffset` (offsets `lastOffset - lineCount + 1 ... lastOffset`).
public struct LoadedRoom: Equatable, Sendable {
    /// The store's number for the room (changes with the epoch).
    public var id: UInt64
    public var name: String
    public var epoch: String
    /// The last offset handed out in this epoch; 0 before the first line.
    public var lastOffset: UInt64
    /// Time of the room's last line or mark, ms since the Unix epoch.
    public var lastTime: UInt64
    public var lineCount: UInt32

    public init(id: UInt64, name: String, epoch: String, lastOffset: UInt64, lastTime: UInt64, lineCount: UInt32) {
        self.id = id
        self.name = name
        self.epoch = epoch
        self.lastOffset = lastOffset
        self.lastTime = lastTime
        self.lineCount = lineCount
    }
}

/// One line of a room log, as values.
public struct StoredLine: Equatable, Sendable {
    public var offset: UInt64
    /// Server time the line was ordered, in ms since the Unix epoch.
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

/// A gateway process (its random instance) and one of its sequence numbers:
/// in APPEND, the SAY a line came from; in GATEWAYS, the highest stored.
public struct GatewayMark: Equatable, Hashable, Sendable {
    /// 0: the line came from no gateway frame (nothing to dedupe).
    public var instance: UInt64
    public var sequence: UInt64

    public init(instance: UInt64, sequence: UInt64) {
        self.instance = instance
        self.sequence = sequence
    }

    /// No gateway: the line is not deduplicated by sequence.
    public static let none = GatewayMark(instance: 0, sequence: 0)
}

/// What a completed load held.
public struct LoadSummary: Equatable, Sendable {
    public var rooms: UInt32
    public var lines: UInt64
    public var gateways: UInt32

    public init(rooms: UInt32, lines: UInt64, gateways: UInt32) {
        self.rooms = rooms
        self.lines = lines
        self.gateways = gateways
    }
}

/// One record of an APPEND batch.
public enum AppendRecord: Equatable, Sendable {
    /// Kind 1: `str name, str epoch`; defines the batch's next room index
    /// (0, 1, 2, …). Every room a batch touches is defined once, before its
    /// first use, with the epoch its records belong to; a different epoch
    /// than the stored one starts the room's log anew.
    case room(name: String, epoch: String)
    /// Kind 2: `u16 room, u64 instance, u64 sequence`, then a line
    /// (`u64 offset, u64 time, u16 nameLength, u32 textLength, name, text`).
    /// A line at or below the room's stored last offset is already stored
    /// and is skipped, so a resent batch never duplicates.
    case line(room: UInt16, gateway: GatewayMark, line: StoredLine)
    /// Kind 3: `u16 room, u64 lastOffset, u64 time`; the room's log reached
    /// `lastOffset` without lines to keep (a new room, or history off).
    case mark(room: UInt16, lastOffset: UInt64, time: UInt64)
}

/// Whether the store can commit.
public enum StoreStatus: Equatable, Sendable {
    case healthy
    /// Commits fail for `reason` (e.g. "database or disk is full"); batches wait.
    case failing(reason: String)
}

extension StoreFrame {
    var frameType: StoreFrameType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .load: .load
        case .room: .room
        case .lines: .lines
        case .gateways: .gateways
        case .loaded: .loaded
        case .append: .append
        case .committed: .committed
        case .status: .status
        }
    }

    /// The frame's type byte on the wire.
    public var typeCode: UInt8 { frameType.rawValue }
}
