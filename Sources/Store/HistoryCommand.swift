@preconcurrency import Glibc
import Reactor

/// `machat history -room ROOM [-since OFFSET] [-limit N] [-json] [-data-dir DIR]`:
/// prints a room's log from the history database, as `name:text` lines or as
/// the README's JSON message objects, one per line. It opens the database
/// read-only and reads one consistent snapshot, so it is safe while machat
/// writes (WAL: readers and the writer do not block each other).
public enum HistoryCommand {
    /// What to print.
    public struct Request: Sendable {
        public var room: String
        /// Print only lines after this offset (oldest first).
        public var since: UInt64?
        /// At most this many lines: the first after `since`, else the most recent.
        public var limit: Int?
        public var json = false
        public var dataDirectory: String

        public init(room: String, since: UInt64? = nil, limit: Int? = nil, json: Bool = false, dataDirectory: String) {
            self.room = room
            self.since = since
            self.limit = limit
            self.json = json
            self.dataDirectory = dataDirectory
        }
    }

    public static let program = "machat history"
    public static let summary =
        "Prints a room's history from the data directory: name:text per line, or -json message objects. Safe while machat runs."

    public static let specs: [FlagSpec] = [
        FlagSpec("room", "ROOM", "the room whose log to print (required)"),
        FlagSpec("since", "OFFSET", "only lines after this offset, oldest first"),
        FlagSpec("limit", "N", "at most N lines: the first N after -since, else the last N"),
        FlagSpec("json", nil, "print JSON message objects, as the JSON client format has them"),
        FlagSpec("data-dir", "DIR", default: DataDirectory.defaultPath(), "machat's data directory"),
    ]

    /// Runs the command with `arguments` (after `history`): output on stdout,
    /// errors on stderr; returns the exit status (0 printed, 1 error, 2 usage).
    public static func main(arguments: [String]) -> Int32 {
        let flags: CommandLineFlags
        switch CommandLineFlags.parseOrError(specs: specs, arguments: arguments) {
        case .success(let parsed):
            flags = parsed
        case .failure(let error):
            let usage = CommandLineFlags.usage(program: program, summary: summary, specs: specs)
            if error.message == "help" {
                write(1, usage + "\n")
                return 0
            }
            write(2, "\(program): \(error.message)\n\(usage)\n")
            return 2
        }
        let request: Request
        switch self.request(from: flags) {
        case .success(let parsed): request = parsed
        case .failure(let problem):
            write(2, "\(program): \(problem)\n")
            return 2
        }
        do {
            try run(request) { bytes in writeAll(1, bytes) }
            return 0
        } catch {
            write(2, "\(program): \(error)\n")
            return 1
        }
    }

    /// The request `flags` describe, or what is wrong with them.
    public static func request(from flags: CommandLineFlags) -> Result<Request, HistoryError> {
        let room = flags.string("room")
        guard !room.isEmpty else { return .failure(.usage("-room is required: machat history -room ROOM")) }
        var request = Request(room: room, json: flags.bool("json"), dataDirectory: flags.string("data-dir"))
        if flags.given.contains("since") {
            guard let since = UInt64(flags.string("since")) else {
                return .failure(.usage("-since must be an offset (a whole number), got \"\(flags.string("since"))\""))
            }
            request.since = since
        }
        if flags.given.contains("limit") {
            guard let limit = Int(flags.string("limit")), limit >= 0 else {
                return .failure(.usage("-limit must be a whole number, got \"\(flags.string("limit"))\""))
            }
            request.limit = limit
        }
        return .success(request)
    }

    /// Prints `request`'s lines through `output` (which returns false to stop,
    /// e.g. a closed pipe); returns how many lines were printed.
    @discardableResult
    public static func run(_ request: Request, output: (UnsafeRawBufferPointer) -> Bool) throws(HistoryError) -> Int {
        guard request.dataDirectory != DataDirectory.disabled else { throw .historyDisabled }
        let history: HistoryDatabase
        do {
            history = try HistoryDatabase.openForReading(directory: request.dataDirectory)
        } catch {
            throw .store(error)
        }
        do {
            return try print(request, from: history.database, path: history.path, output: output)
        } catch let error as HistoryError {
            throw error
        } catch let error as SQLiteError {
            throw error.isCorrupt ? .store(.corrupt(path: history.path, detail: error.message)) : .read(path: history.path, error)
        } catch {
            throw .read(path: history.path, SQLiteError(code: 1, message: "\(error)", context: "read"))
        }
    }

    private static func print(
        _ request: Request, from database: Database, path: String, output: (UnsafeRawBufferPointer) -> Bool
    ) throws -> Int {
        // One read transaction: the room and its lines from the same snapshot.
        try database.beginTransaction()
        defer { database.rollback() }
        let find = try database.prepare("SELECT id FROM rooms WHERE name = ?1")
        find.bind(request.room, at: 1)
        guard try find.step() else { throw HistoryError.noSuchRoom(room: request.room, path: path) }
        let room = find.int64(at: 0)
        let query: Statement
        if let since = request.since {
            query = try database.prepare(
                "SELECT offset, time, name, text FROM lines WHERE room_id = ?1 AND offset > ?2 ORDER BY offset LIMIT ?3")
            query.bind(room, at: 1)
            query.bind(Int64(clamping: since), at: 2)
            query.bind(Int64(request.limit ?? -1), at: 3)
        } else if let limit = request.limit {
            query = try database.prepare(
                """
                SELECT offset, time, name, text FROM
                (SELECT offset, time, name, text FROM lines WHERE room_id = ?1 ORDER BY offset DESC LIMIT ?2) ORDER BY offset
                """)
            query.bind(room, at: 1)
            query.bind(Int64(limit), at: 2)
        } else {
            query = try database.prepare("SELECT offset, time, name, text FROM lines WHERE room_id = ?1 ORDER BY offset")
            query.bind(room, at: 1)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(80 << 10)
        var printed = 0
        while try query.step() {
            let name = query.bytes(at: 2)
            let text = query.bytes(at: 3)
            if request.json {
                MessageJSON.appendMessage(
                    room: request.room, offset: query.uint64(at: 0), time: query.uint64(at: 1), name: name, text: text,
                    into: &buffer)
            } else {
                buffer.append(contentsOf: name)
                buffer.append(UInt8(ascii: ":"))
                buffer.append(contentsOf: text)
            }
            buffer.append(UInt8(ascii: "\n"))
            printed += 1
            if buffer.count >= 64 << 10 {
                guard buffer.withUnsafeBytes(output) else { return printed }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { _ = buffer.withUnsafeBytes(output) }
        return printed
    }

    private static func write(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Writes everything; false if the descriptor is gone (e.g. `| head` quit).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
