import Foundation
import Testing

@testable import Store

@Suite("machat history")
struct HistoryCommandTests {
    /// A data directory whose database holds `lines` (name, text bytes) in
    /// room `room`, offsets from 1, times from 1764628800000; the rows of
    /// 3 lines from index `journalFrom` on are in the journal, as the store
    /// leaves a quiet room's newest lines until it folds them.
    private func directory(
        room: String = "dev", lines: [(String, [UInt8])], journalFrom: Int = .max
    ) throws -> TemporaryDirectory {
        let directory = TemporaryDirectory("history")
        let history = try HistoryDatabase.openForWriting(directory: directory.path)
        let database = history.database
        let insertRoom = try database.prepare(
            "INSERT INTO rooms(id, name, epoch, last_offset, last_time) VALUES(1, ?1, 'e', ?2, 0)")
        insertRoom.bind(room, at: 1)
        insertRoom.bind(Int64(lines.count), at: 2)
        try insertRoom.run()
        // Chunks of up to 3 lines, so reads cross chunk boundaries.
        let chunk = try database.prepare("INSERT INTO chunks VALUES(1, ?1, ?2, ?3, ?4, ?5)")
        let journal = try database.prepare(
            "INSERT INTO journal(room_id, first_offset, last_offset, last_time, line_count, lines) VALUES(1, ?1, ?2, ?3, ?4, ?5)")
        for first in stride(from: 0, to: lines.count, by: 3) {
            let insert = first >= journalFrom ? journal : chunk
            let run = (first..<min(first + 3, lines.count)).map {
                (UInt64($0 + 1), UInt64(1_764_628_800_000 + $0), lines[$0].0, lines[$0].1)
            }
            insert.bind(run.first!.0, at: 1)
            insert.bind(run.last!.0, at: 2)
            insert.bind(run.last!.1, at: 3)
            insert.bind(Int64(run.count), at: 4)
            Rows.chunk(run).withUnsafeBytes { blob in
                insert.bind(blob: blob, at: 5)
                try? insert.run()
            }
        }
        history.closeCleanly()
        return directory
    }

    private func output(_ request: HistoryCommand.Request) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try HistoryCommand.run(request) { chunk in
            bytes += chunk
            return true
        }
        return bytes
    }

    @Test func textFormatPrintsNameColonTextPerLine() throws {
        let data = try directory(lines: [("Mina", Array("hello".utf8)), ("Bo", Array("a:b \"c\"".utf8)), ("Zoë", [])])
        let text = try output(HistoryCommand.Request(room: "dev", dataDirectory: data.path))
        #expect(String(decoding: text, as: UTF8.self) == "Mina:hello\nBo:a:b \"c\"\nZoë:\n")
    }

    @Test(arguments: [Int.max, 6, 0])
    func sinceAndLimitSelectTheRightLines(journalFrom: Int) throws {
        let data = try directory(lines: (1...10).map { ("n", Array("t\($0)".utf8)) }, journalFrom: journalFrom)
        func texts(_ since: UInt64?, _ limit: Int?) throws -> String {
            String(
                decoding: try output(HistoryCommand.Request(room: "dev", since: since, limit: limit, dataDirectory: data.path)),
                as: UTF8.self
            )
            .split(separator: "\n").map { String($0.dropFirst(2)) }.joined(separator: ",")
        }
        #expect(try texts(nil, nil) == "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10")
        #expect(try texts(7, nil) == "t8,t9,t10")
        #expect(try texts(2, 3) == "t3,t4,t5")
        #expect(try texts(nil, 3) == "t8,t9,t10")
        #expect(try texts(nil, 0) == "")
        #expect(try texts(10, nil) == "")
    }

    @Test func jsonObjectsParseWithPythonsJSONToTheStoredFields() throws {
        var texts: [[UInt8]] = [
            Array("plain".utf8), Array("\"quoted\" \\back\\slash/ <b>".utf8), Array(0..<32) + [0x7F],
            Array("\u{2028}x\u{2029}".utf8),
            Array("zoë 😀 €".utf8), [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF],
            [0xE0, 0x80, 0xAF], [0x61, 0xF0, 0x9F, 0x98, 0x62], [0xF0, 0x9F, 0x98], [0xE2, 0x80, 0xA8, 0xE2, 0x80],
        ]
        var random = StoreCodecFixtures.SeededGenerator(state: 7)
        for _ in 0..<300 {
            texts.append((0..<Int.random(in: 0...24, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        let data = try directory(room: "dév \"room\"", lines: texts.enumerated().map { ("N\($0.offset)\u{2028}\"", $0.element) })
        let json = try output(HistoryCommand.Request(room: "dév \"room\"", json: true, dataDirectory: data.path))
        let expected = texts.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n")
        // Python's json parses every line; its `errors="replace"` decoding of
        // the stored bytes is what each text must equal.
        let script = """
            import json, sys
            expected = open(sys.argv[1]).read().split("\\n")
            lines = sys.stdin.buffer.read().split(b"\\n")
            assert lines[-1] == b"", "output must end with a newline"
            lines = lines[:-1]
            assert len(lines) == len(expected), (len(lines), len(expected))
            for index, raw in enumerate(lines):
                text = raw.decode("utf-8")
                assert all(ord(c) >= 0x20 and c not in "\\x7f\\u2028\\u2029" for c in text), repr(text)
                obj = json.loads(text)
                assert list(obj) == ["type", "room", "offset", "time", "name", "text"], list(obj)
                want = bytes.fromhex(expected[index]).decode("utf-8", "replace")
                assert obj == {"type": "message", "room": "dév \\"room\\"", "offset": index + 1, "time": 1764628800000 + index,
                               "name": "N%d\\u2028\\"" % index, "text": want}, (obj, want)
            print("ok", len(lines))
            """
        let expectations = TemporaryDirectory("expect")
        _ = FileManager.default.createFile(atPath: expectations.file("hex"), contents: Data(expected.utf8))
        let answer = try Python.run(script, arguments: [expectations.file("hex")], input: json)
        #expect(String(decoding: answer, as: UTF8.self) == "ok \(texts.count)\n")
    }

    @Test func malformedChunkIsAClearCorruptionErrorNotACrash() throws {
        let data = try directory(lines: (1...5).map { ("n", Array("t\($0)".utf8)) })
        let database = try Database(path: data.file("history.sqlite3"), mode: .readWrite)
        // A row whose blob no longer matches its columns, and one starting at offset 0.
        try database.execute("UPDATE chunks SET lines = substr(lines, 1, 40) WHERE first_offset = 4")
        try database.execute("UPDATE chunks SET first_offset = 0 WHERE first_offset = 1")
        for request in [
            HistoryCommand.Request(room: "dev", dataDirectory: data.path),
            HistoryCommand.Request(room: "dev", limit: 5, dataDirectory: data.path),
            HistoryCommand.Request(room: "dev", since: 2, dataDirectory: data.path),
        ] {
            #expect {
                _ = try output(request)
            } throws: { error in
                "\(error)".contains("history.sqlite3 is corrupt (chunk ") && "\(error)".contains("is malformed")
            }
        }
    }

    @Test func missingRoomIsAClearError() throws {
        let data = try directory(lines: [("a", [])])
        #expect {
            _ = try output(HistoryCommand.Request(room: "Dev", dataDirectory: data.path))
        } throws: { error in
            "\(error)" == "no room \"Dev\" in \(data.path)/history.sqlite3 (room names are case-sensitive)"
        }
    }

    @Test func missingDatabaseAndDisabledHistoryAreClearErrors() {
        #expect {
            _ = try output(HistoryCommand.Request(room: "dev", dataDirectory: "/tmp/machat-none-here"))
        } throws: { error in
            "\(error)"
                == "no history database at /tmp/machat-none-here/history.sqlite3; machat keeps one there while it runs with this -data-dir"
        }
        #expect(throws: HistoryError.self) { _ = try output(HistoryCommand.Request(room: "dev", dataDirectory: "none")) }
    }

    @Test func flagsBecomeARequestAndBadValuesAreUsageErrors() throws {
        func request(_ arguments: [String]) -> Result<HistoryCommand.Request, HistoryError> {
            HistoryCommand.request(from: try! CommandLineFlagsParse(arguments))
        }
        guard case .success(let full) = request(["-room", "dev", "-since", "41", "-limit", "5", "-json", "-data-dir", "/d"])
        else {
            Issue.record("flags refused")
            return
        }
        #expect(full.room == "dev" && full.since == 41 && full.limit == 5 && full.json && full.dataDirectory == "/d")
        if case .failure(let missing) = request([]) {
            #expect("\(missing)" == "-room is required: machat history -room ROOM")
        } else {
            Issue.record("no -room accepted")
        }
        if case .failure(let since) = request(["-room", "x", "-since", "-3"]) {
            #expect("\(since)".hasPrefix("-since must be an offset"))
        } else {
            Issue.record("bad -since accepted")
        }
        #expect(HistoryCommand.main(arguments: ["-bogus"]) == 2)
        #expect(HistoryCommand.main(arguments: ["-room", "dev", "-data-dir", "/tmp/machat-none-here"]) == 1)
    }
}

import Reactor

/// Parses `machat history` flags (tests).
func CommandLineFlagsParse(_ arguments: [String]) throws -> CommandLineFlags {
    try CommandLineFlags.parseOrError(specs: HistoryCommand.specs, arguments: arguments).get()
}
