@testable import Store
import StoreProtocol

/// Builds `PendingBatch`es the way the store receives them: through the
/// router's `AppendBatchBuilder`, minus the frame header.
struct Batches {
    private(set) var next: UInt64 = 1

    /// One line as the tests write them.
    struct Line {
        var room: String
        var epoch: String
        var offset: UInt64
        var time: UInt64
        var name: String
        var text: String
        var gateway = GatewayMark.none
    }

    mutating func batch(
        _ lines: [Line], marks: [(room: String, epoch: String, lastOffset: UInt64, time: UInt64)] = []
    ) -> PendingBatch {
        defer { next += 1 }
        return Self.batch(number: next, lines, marks: marks)
    }

    static func batch(
        number: UInt64, _ lines: [Line], marks: [(room: String, epoch: String, lastOffset: UInt64, time: UInt64)] = []
    )
        -> PendingBatch
    {
        var builder = AppendBatchBuilder(batch: number)
        for line in lines {
            Array(line.name.utf8).withUnsafeBytes { n in
                Array(line.text.utf8).withUnsafeBytes { t in
                    builder.appendLine(
                        room: line.room, epoch: line.epoch, offset: line.offset, time: line.time, name: n, text: t,
                        gateway: line.gateway)
                }
            }
        }
        for mark in marks { builder.appendMark(room: mark.room, epoch: mark.epoch, lastOffset: mark.lastOffset, time: mark.time) }
        let frame = builder.finish()
        return PendingBatch(number: number, records: Array(frame[13...]))
    }

    /// `count` lines of `room` from offset `from`, text "line N".
    static func lines(
        _ room: String, epoch: String = "e1", from: UInt64 = 1, count: Int, time: UInt64 = 1_000, name: String = "Mina"
    )
        -> [Line]
    {
        (0..<UInt64(count)).map {
            Line(room: room, epoch: epoch, offset: from + $0, time: time + $0, name: name, text: "line \(from + $0)")
        }
    }
}

/// Reads a database's lines independently of the engine (tests).
enum Rows {
    /// (room name, offset, time, name, text) of every line, in room and
    /// offset order, read from the chunks and the journal with a decoder of
    /// the tests' own.
    static func lines(_ database: Database) throws -> [(String, UInt64, UInt64, String, String)] {
        let query = try database.prepare(
            """
            SELECT rooms.name, rows.lines FROM
            (SELECT room_id, first_offset, lines FROM chunks UNION ALL SELECT room_id, first_offset, lines FROM journal) AS rows
            JOIN rooms ON rooms.id = rows.room_id ORDER BY rooms.name, rows.first_offset
            """
        )
        var rows: [(String, UInt64, UInt64, String, String)] = []
        while try query.step() {
            let room = query.text(at: 0)!
            let blob = Array(query.bytes(at: 1))
            var at = 0
            func integer(_ count: Int) -> UInt64 {
                defer { at += count }
                return blob[at..<at + count].reduce(0) { $0 << 8 | UInt64($1) }
            }
            while at < blob.count {
                let offset = integer(8)
                let time = integer(8)
                let nameCount = Int(integer(2))
                let textCount = Int(integer(4))
                let name = String(decoding: blob[at..<at + nameCount], as: UTF8.self)
                let text = String(decoding: blob[at + nameCount..<at + nameCount + textCount], as: UTF8.self)
                at += nameCount + textCount
                rows.append((room, offset, time, name, text))
            }
        }
        return rows
    }

    /// A `chunks` blob of lines (offset, time, name, text), encoded by the tests.
    static func chunk(_ lines: [(UInt64, UInt64, String, [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = []
        func put(_ value: UInt64, _ count: Int) {
            for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> shift))
            }
        }
        for (offset, time, name, text) in lines {
            put(offset, 8)
            put(time, 8)
            put(UInt64(name.utf8.count), 2)
            put(UInt64(text.count), 4)
            bytes += Array(name.utf8) + text
        }
        return bytes
    }

    /// (epoch, last offset) of a room, nil if it has no row.
    static func room(_ database: Database, _ name: String) throws -> (epoch: String, lastOffset: UInt64)? {
        let query = try database.prepare("SELECT epoch, last_offset FROM rooms WHERE name = ?1")
        query.bind(name, at: 1)
        guard try query.step() else { return nil }
        return (query.text(at: 0)!, query.uint64(at: 1))
    }

    static func count(_ database: Database, _ sql: String) throws -> Int {
        Int(try database.integer(sql) ?? 0)
    }
}

/// A TTL no line reaches (tests that keep everything).
let forever: UInt64 = 1 << 62
