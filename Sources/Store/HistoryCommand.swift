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
            return try print(
                request, from: history.database, rows: rowsTable(hasJournal: history.hasJournal), path: history.path,
                output: output)
        } catch let error as HistoryError {
            throw error
        } catch let error as SQLiteError {
            throw error.isCorrupt ? .store(.corrupt(path: history.path, detail: error.message)) : .read(path: history.path, error)
        } catch {
            throw .read(path: history.path, SQLiteError(code: 1, message: "\(error)", context: "read"))
        }
    }

    /// A room's rows: its chunks and (newer than all of them) its journal
    /// rows; each line is in exactly one of the two.
    private static func rowsTable(hasJournal: Bool) -> String {
        let columns = "room_id, first_offset, last_offset, line_count"
        guard hasJournal else { return "(SELECT \(columns), lines FROM chunks)" }
        return "(SELECT \(columns), lines FROM chunks UNION ALL SELECT \(columns), lines FROM journal)"
    }

    private static func print(
        _ request: Request, from database: Database, rows: String, path: String, output: (UnsafeRawBufferPointer) -> Bool
    ) throws -> Int {
        // One read transaction: the room and its lines from the same snapshot.
        try database.beginTransaction()
        defer { database.rollback() }
        let find = try database.prepare("SELECT id FROM rooms WHERE name = ?1")
        find.bind(request.room, at: 1)
        guard try find.step() else { throw HistoryError.noSuchRoom(room: request.room, path: path) }
        let room = find.int64(at: 0)
        // Chunks in offset order; with only a limit, the newest chunks that
        // hold that many lines, found by their line counts.
        var fromOffset: UInt64 = request.since ?? 0
        if request.since == nil, let limit = request.limit {
            let newest = try database.prepare(
                "SELECT first_offset, last_offset, line_count FROM \(rows) WHERE room_id = ?1 ORDER BY first_offset DESC")
            newest.bind(room, at: 1)
            var counted = 0
            while counted < limit, try newest.step() {
                counted += Int(newest.int64(at: 2))
                fromOffset = max(newest.uint64(at: 0), 1) - 1
            }
            newest.reset()
            var skip = max(0, counted - limit)
            return try printLines(
                request, room: room, above: fromOffset, skipping: &skip, from: database, rows: rows, output: output)
        }
        var skip = 0
        return try printLines(
            request, room: room, above: fromOffset, skipping: &skip, from: database, rows: rows, output: output)
    }

    /// Prints the room's lines above `offset` after skipping `skip` of them,
    /// at most `request.limit`.
    private static func printLines(
        _ request: Request, room: Int64, above offset: UInt64, skipping skip: inout Int, from database: Database,
        rows: String, output: (UnsafeRawBufferPointer) -> Bool
    ) throws -> Int {
        let query = try database.prepare(
            "SELECT first_offset, last_offset, line_count, lines FROM \(rows) WHERE room_id = ?1 AND last_offset > ?2 ORDER BY first_offset"
        )
        query.bind(room, at: 1)
        query.bind(Int64(clamping: offset), at: 2)
        let limit = request.limit ?? Int.max
        var starts: [Int] = []
        var buffer: [UInt8] = []
        buffer.reserveCapacity(80 << 10)
        var printed = 0
        while printed < limit, try query.step() {
            let blob = query.bytes(at: 3)
            starts.removeAll(keepingCapacity: true)
            try LineChunk.lineStarts(
                of: blob, first: query.uint64(at: 0), last: query.uint64(at: 1), count: Int(query.int64(at: 2)), room: room,
                into: &starts)
            for start in starts {
                let lineOffset = LineChunk.offset(blob, at: start)
                guard lineOffset > offset else { continue }
                if skip > 0 {
                    skip -= 1
                    continue
                }
                guard printed < limit else { break }
                let (name, text) = LineChunk.fields(blob, at: start)
                if request.json {
                    MessageJSON.appendMessage(
                        room: request.room, offset: lineOffset, time: LineChunk.time(blob, at: start), name: name, text: text,
                        into: &buffer)
                } else {
                    buffer.append(contentsOf: name)
                    buffer.append(UInt8(ascii: ":"))
                    buffer.append(contentsOf: text)
                }
                buffer.append(UInt8(ascii: "\n"))
                printed += 1
            }
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
