import Foundation
import RouterProtocol
import Testing

@testable import GatewayCore

/// `JSONWriter.appendString` of `bytes`, as text.
private func quoted(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    bytes.withUnsafeBytes { JSONWriter.appendString($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
}

private func quoted(_ text: String) -> String {
    quoted(Array(text.utf8))
}

private func integer(_ value: UInt64) -> String {
    var out: [UInt8] = []
    JSONWriter.appendInteger(value, into: &out)
    return String(decoding: out, as: UTF8.self)
}

@Suite("JSONWriter")
struct JSONWriterTests {
    // MARK: Strings

    @Test func emptyStringIsTwoQuotes() {
        #expect(quoted("") == #""""#)
    }

    @Test func plainTextIsCopiedBetweenQuotes() {
        #expect(quoted("hello, world") == #""hello, world""#)
        #expect(quoted("/ ' < > & { } [ ] : ,") == #""/ ' < > & { } [ ] : ,""#)
    }

    @Test func quotesAndBackslashesAreEscaped() {
        #expect(quoted(#"a"b"#) == #""a\"b""#)
        #expect(quoted(#"a\b"#) == #""a\\b""#)
        #expect(quoted(#"\""#) == #""\\\"""#)
        #expect(quoted("\"\"") == "\"\\\"\\\"\"")
        #expect(quoted(#"\\n"#) == #""\\\\n""#)
        #expect(quoted(#"end\"#) == #""end\\""#)
    }

    @Test func everyControlByteIsEscaped() {
        let short: [UInt8: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        let hex = Array("0123456789abcdef")
        for byte: UInt8 in 0..<0x20 {
            let escape = short[byte] ?? "\\u00\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
            #expect(quoted([byte]) == "\"\(escape)\"", "byte \(byte)")
            #expect(quoted([0x61, byte, 0x62]) == "\"a\(escape)b\"", "byte \(byte)")
        }
        #expect(quoted([0x00]) == #""\u0000""#)
        #expect(quoted([0x1F]) == #""\u001f""#)
        #expect(quoted([0x1B]) == #""\u001b""#)
    }

    @Test func deleteIsEscaped() {
        #expect(quoted([0x7F]) == #""\u007f""#)
        #expect(quoted([0x7E, 0x7F, 0x7E]) == #""~\u007f~""#)
    }

    @Test func lineAndParagraphSeparatorsAreEscapedWhereverTheyAre() {
        #expect(quoted("\u{2028}") == #""\u2028""#)
        #expect(quoted("\u{2029}") == #""\u2029""#)
        #expect(quoted("a\u{2028}") == #""a\u2028""#)
        #expect(quoted("\u{2029}b") == #""\u2029b""#)
        #expect(quoted("\u{2028}\u{2029}\u{2028}") == #""\u2028\u2029\u2028""#)
        #expect(quoted("x\u{2028}y\u{2029}z") == #""x\u2028y\u2029z""#)
    }

    @Test func neighboursOfTheSeparatorsAreCopied() {
        for scalar in ["\u{2027}", "\u{202A}", "\u{202F}", "\u{2000}", "\u{20AC}", "\u{E2}"] {
            #expect(quoted(scalar) == "\"\(scalar)\"", "\(scalar.unicodeScalars.map(\.value))")
        }
    }

    @Test func nonASCIITextIsCopiedAsUTF8() {
        for text in ["Zoë", "李小龙", "Ünïcødé", "e\u{301}", "\u{85}\u{9F}\u{A0}", "\u{FEFF}\u{FFFD}\u{FFFF}", "\u{10FFFF}"] {
            var out: [UInt8] = []
            JSONWriter.appendString(text, into: &out)
            #expect(out == [0x22] + Array(text.utf8) + [0x22], "\(text.unicodeScalars.map(\.value))")
        }
    }

    @Test func fourByteEmojiIsCopiedWhole() {
        #expect(Array(quoted("😀").utf8) == [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22])
        #expect(quoted("a😀\"🦊") == "\"a😀\\\"🦊\"")
        #expect(quoted("🧑‍💻") == "\"🧑‍💻\"")
    }

    @Test func stringAndByteOverloadsAgree() {
        for text in ["", "Mina", "a\"b\\c\n\u{0}\u{7F}\u{2028}😀", String(repeating: "\u{2029}x\t", count: 100)] {
            var fromString: [UInt8] = []
            JSONWriter.appendString(text, into: &fromString)
            #expect(String(decoding: fromString, as: UTF8.self) == quoted(Array(text.utf8)))
        }
    }

    @Test func appendingKeepsWhatTheBufferHeld() {
        var out = Array("prefix:".utf8)
        JSONWriter.appendString("a\nb", into: &out)
        JSONWriter.appendInteger(42, into: &out)
        JSONWriter.appendRaw(",", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"prefix:"a\nb"42,"#)
    }

    @Test func longRunsAroundEscapesAreCopiedExactly() {
        let run = String(repeating: "abcdefgh", count: 1000)
        #expect(quoted(run + "\"" + run) == "\"" + run + "\\\"" + run + "\"")
        #expect(quoted(run + "\u{2028}") == "\"" + run + "\\u2028\"")
    }

    // MARK: Integers

    @Test func integersAreDecimal() {
        for value: UInt64 in 0...1000 { #expect(integer(value) == String(value)) }
        var power: UInt64 = 1
        for _ in 0..<19 {
            power *= 10
            for value in [power - 1, power, power + 1] { #expect(integer(value) == String(value)) }
        }
        #expect(integer(UInt64.max) == "18446744073709551615")
        #expect(integer(UInt64.max - 1) == "18446744073709551614")
        #expect(integer(1 << 53) == "9007199254740992")
        #expect(integer((1 << 53) - 1) == "9007199254740991")
        #expect(integer(1_764_628_800_123) == "1764628800123")
    }

    @Test func randomIntegersAreDecimal() {
        var generator = WSTestRandom(state: 77)
        for _ in 0..<10_000 {
            let value = UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator)
            #expect(integer(value) == String(value))
        }
    }
}

// MARK: Checked by Python's json

/// Runs `python3` once over every object, one per line, as the independent
/// decoder: each object must parse with Python's `json` (strict: no raw
/// control characters, no NaN) and decode to exactly the fields written.
private enum PythonJSON {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let isAvailable: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/python3") }
    }()

    /// Prints, for each input line, its decoded value in a canonical form:
    /// strings as `s` + UTF-8 hex, integers as `i` + decimal, objects with
    /// their keys in order (duplicates kept), or `ERR …` if it does not parse.
    static let script = """
        import json, sys
        class Pairs(list):
            pass
        def constant(name):
            raise ValueError('non-standard constant ' + name)
        def canon(v):
            if isinstance(v, Pairs):
                return '{' + ','.join(canon(k) + ':' + canon(x) for k, x in v) + '}'
            if isinstance(v, bool):
                return 'T' if v else 'F'
            if isinstance(v, int):
                return 'i' + str(v)
            if isinstance(v, str):
                return 's' + v.encode('utf-8', 'surrogatepass').hex()
            if isinstance(v, list):
                return '[' + ','.join(canon(x) for x in v) + ']'
            return '?' + type(v).__name__
        out = []
        for raw in sys.stdin.buffer.read().split(b'\\n')[:-1]:
            try:
                value = json.loads(raw.decode('utf-8'), object_pairs_hook=Pairs, parse_constant=constant)
                out.append(canon(value))
            except Exception as error:
                out.append('ERR ' + repr(error).encode('ascii', 'backslashreplace').decode('ascii'))
        sys.stdout.write('\\n'.join(out) + '\\n')
        """

    /// Feeds `lines` (each one JSON object) to Python; returns one canonical line each.
    static func decode(_ lines: [[UInt8]], timeout: TimeInterval = 120) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("machat-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("stdin")
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        var input: [UInt8] = []
        for line in lines {
            input += line
            input.append(0x0A)
        }
        try Data(input).write(to: inputURL)
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let stdin = try FileHandle(forReadingFrom: inputURL)
        let stdout = try FileHandle(forWritingTo: outputURL)
        let stderr = try FileHandle(forWritingTo: errorURL)
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
            throw Failure(description: "python3 did not finish within \(timeout) s")
        }
        guard process.terminationStatus == 0 else {
            let errors = String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
            throw Failure(description: "python3 exited with \(process.terminationStatus): \(errors)")
        }
        let output = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
        return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
}

/// The canonical form the Python script prints, built from what was written.
private enum Canonical {
    static func string(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = "s"
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }

    static func string(_ text: String) -> String { string(Array(text.utf8)) }

    static func integer(_ value: UInt64) -> String { "i\(value)" }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}

/// Strings meant to break a hand-written encoder: every escape-worthy
/// character, the separators, noncharacters, the edges of UTF-8's ranges.
private struct HostileText {
    var generator: WSTestRandom

    static let pool: [Unicode.Scalar] = {
        var scalars: [Unicode.Scalar] = Array(#""\/'<>&{}[]:, aZ0"#.unicodeScalars)
        for value: UInt32 in 0..<0x20 { scalars.append(Unicode.Scalar(value)!) }
        for value: UInt32 in [
            0x7F, 0x80, 0x85, 0x9F, 0xA0, 0xAD, 0xE9, 0x301, 0x7FF, 0x800, 0x200B, 0x200D, 0x2027, 0x2028, 0x2029,
            0x202A, 0x202E, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1F600, 0x1F9D1, 0x10FFFF,
        ] {
            scalars.append(Unicode.Scalar(value)!)
        }
        return scalars
    }()

    mutating func scalar() -> Unicode.Scalar {
        if Int.random(in: 0..<8, using: &generator) == 0 {
            // Anywhere in Unicode but the surrogates.
            while true {
                if let scalar = Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &generator)) { return scalar }
            }
        }
        return Self.pool[Int.random(in: 0..<Self.pool.count, using: &generator)]
    }

    mutating func text(maxScalars: Int = 30) -> String {
        var view = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxScalars, using: &generator) { view.append(scalar()) }
        return String(view)
    }

    mutating func integer() -> UInt64 {
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: return 0
        case 1: return UInt64.max
        case 2: return (1 << 53) - UInt64.random(in: 0...1, using: &generator)
        default: return UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator)
        }
    }
}

/// One object written by `ClientJSON`, and what Python should decode it to.
private struct WrittenObject {
    var bytes: [UInt8]
    var expected: String

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

private func message(room: String, offset: UInt64, time: UInt64, name: [UInt8], text: [UInt8]) -> WrittenObject {
    let local = LocalRoom(id: 1, name: room, epoch: "e", lastOffset: 0)
    let payload = name + [UInt8(ascii: ":")] + text + [0x0A]
    var out: [UInt8] = []
    payload.withUnsafeBytes { raw in
        let line = LineView(offset: offset, time: time, payload: raw, nameLength: name.count)
        ClientJSON.appendMessage(roomJSON: local.nameJSON, line: line, into: &out)
    }
    let expected = Canonical.object([
        ("type", Canonical.string("message")), ("room", Canonical.string(room)), ("offset", Canonical.integer(offset)),
        ("time", Canonical.integer(time)), ("name", Canonical.string(name)), ("text", Canonical.string(text)),
    ])
    return WrittenObject(bytes: out, expected: expected)
}

private func welcome(room: String, name: String, grant: JoinGrant, members: [String]) -> WrittenObject {
    let local = LocalRoom(id: 9, name: room, epoch: grant.epoch, lastOffset: grant.lastOffset)
    var out: [UInt8] = []
    ClientJSON.appendWelcome(room: local, name: name, grant: grant, members: members, into: &out)
    let expected = Canonical.object([
        ("type", Canonical.string("welcome")), ("room", Canonical.string(room)), ("name", Canonical.string(name)),
        ("epoch", Canonical.string(grant.epoch)), ("offset", Canonical.integer(grant.lastOffset)),
        ("recovered", grant.recovered ? "T" : "F"),
        ("members", "[" + members.map { Canonical.string($0) }.joined(separator: ",") + "]"),
    ])
    return WrittenObject(bytes: out, expected: expected)
}

private func presence(_ kind: PresenceKind, name: String, time: UInt64) -> WrittenObject {
    var out: [UInt8] = []
    ClientJSON.appendPresence(kind: kind, name: name, time: time, into: &out)
    let expected = Canonical.object([
        ("type", Canonical.string(kind == .join ? "join" : "leave")), ("name", Canonical.string(name)),
        ("time", Canonical.integer(time)),
    ])
    return WrittenObject(bytes: out, expected: expected)
}

private func errorObject(_ text: String) -> WrittenObject {
    var out: [UInt8] = []
    ClientJSON.appendError(text, into: &out)
    return WrittenObject(
        bytes: out, expected: Canonical.object([("type", Canonical.string("error")), ("message", Canonical.string(text))]))
}

extension JSONWriterTests {
    /// The objects of the JSON client format, checked by an independent decoder.
    @Suite("ClientJSON against Python's json")
    struct AgainstPython {
        @Test func fixedObjectsHaveTheDocumentedBytes() {
            let line = message(
                room: "dev", offset: 43, time: 1_764_628_800_123, name: Array("Mina".utf8), text: Array("hi <b>".utf8))
            #expect(
                line.text == #"{"type":"message","room":"dev","offset":43,"time":1764628800123,"name":"Mina","text":"hi <b>"}"#)
            let grant = JoinGrant(lastOffset: 42, historyFrom: 0, recovered: false, epoch: "9f2c4e1a7b3d5c60")
            let welcomeStart = #"{"type":"welcome","room":"dev","name":"Mina","epoch":"9f2c4e1a7b3d5c60","offset":42,"#
            #expect(
                welcome(room: "dev", name: "Mina", grant: grant, members: ["Bo", "Mina"]).text
                    == welcomeStart + #""recovered":false,"members":["Bo","Mina"]}"#)
            var recovered = grant
            recovered.recovered = true
            #expect(
                welcome(room: "dev", name: "Mina", grant: recovered, members: []).text
                    == welcomeStart + #""recovered":true,"members":[]}"#)
            #expect(
                presence(.join, name: "Bo", time: 1_764_628_800_999).text == #"{"type":"join","name":"Bo","time":1764628800999}"#)
            #expect(presence(.leave, name: "Bo", time: 5).text == #"{"type":"leave","name":"Bo","time":5}"#)
            #expect(
                errorObject(#"name "Mina" is already taken"#).text
                    == #"{"type":"error","message":"name \"Mina\" is already taken"}"#)
        }

        @Test(.enabled(if: PythonJSON.isAvailable, "python3 is not installed; it is the independent JSON decoder for this test"))
        func pythonCheckRefusesWhatIsNotJSONSoItCanFail() throws {
            let refused: [[UInt8]] = [
                Array(#"{"a":"x"#.utf8) + [0x01] + Array(#""}"#.utf8),
                Array(#"{"a":"x"#.utf8) + [0x09] + Array(#""}"#.utf8),
                Array(#"{"a":"\"}"#.utf8),
                Array(#"{"a":"\x"}"#.utf8),
                Array(#"{"a":NaN}"#.utf8),
                Array(#"{"a":"x"} {"#.utf8),
                [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],
            ]
            let accepted: [([UInt8], String)] = [
                (Array(#"{"a":"\ud83d\ude00","b":[1,true],"a":"\u2028"}"#.utf8), "{s61:sf09f9880,s62:[i1,T],s61:se280a8}"),
                // A lone surrogate decodes, but to bytes no Swift string has.
                (Array(#"{"a":"\ud800"}"#.utf8), "{s61:seda080}"),
            ]
            let decoded = try PythonJSON.decode(refused + accepted.map(\.0))
            try #require(decoded.count == refused.count + accepted.count)
            for (line, answer) in zip(refused, decoded) {
                #expect(answer.hasPrefix("ERR "), "\(String(decoding: line, as: UTF8.self).debugDescription): \(answer)")
            }
            #expect(Array(decoded.suffix(accepted.count)) == accepted.map(\.1))
        }

        @Test(.enabled(if: PythonJSON.isAvailable, "python3 is not installed; it is the independent JSON decoder for this test"))
        func hostileObjectsDecodeInPythonToExactlyWhatWasWritten() throws {
            var hostile = HostileText(generator: WSTestRandom(state: 0x4A53_4F4E))
            var objects: [WrittenObject] = []
            // Every single scalar of the pool, and every ASCII byte, alone and in every field.
            var singles = HostileText.pool.map { String(Character($0)) }
            for value: UInt32 in 0..<0x80 { singles.append(String(Character(Unicode.Scalar(value)!))) }
            singles.append("")
            for single in singles {
                objects.append(message(room: single, offset: 1, time: 2, name: Array(single.utf8), text: Array(single.utf8)))
                let grant = JoinGrant(lastOffset: 3, historyFrom: 0, recovered: true, epoch: single)
                objects.append(welcome(room: single, name: single, grant: grant, members: [single, single]))
                objects.append(presence(.join, name: single, time: 4))
                objects.append(errorObject(single))
            }
            // A long line with everything in it.
            let long = String(repeating: "\u{0}\"\\\u{2028}é😀\u{7F}\n\u{1F}x", count: 7000)
            objects.append(message(room: "dev", offset: 5, time: 6, name: Array("Mina".utf8), text: Array(long.utf8)))
            for _ in 0..<1500 {
                objects.append(
                    message(
                        room: hostile.text(), offset: hostile.integer(), time: hostile.integer(),
                        name: Array(hostile.text().utf8),
                        text: Array(hostile.text(maxScalars: 200).utf8)))
                let grant = JoinGrant(
                    lastOffset: hostile.integer(), historyFrom: 0, recovered: Bool.random(using: &hostile.generator),
                    epoch: hostile.text(maxScalars: 16))
                let members = (0..<Int.random(in: 0...4, using: &hostile.generator)).map { _ in hostile.text(maxScalars: 10) }
                objects.append(welcome(room: hostile.text(), name: hostile.text(), grant: grant, members: members))
                objects.append(presence(.join, name: hostile.text(), time: hostile.integer()))
                objects.append(presence(.leave, name: hostile.text(), time: hostile.integer()))
                objects.append(errorObject(hostile.text(maxScalars: 100)))
            }
            // What a line-based peer needs, whatever the text: one object per
            // line, and nothing a JavaScript source or a log viewer would split.
            for object in objects {
                #expect(!object.bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }))
                let separators = object.bytes.indices.dropLast(2).contains {
                    object.bytes[$0] == 0xE2 && object.bytes[$0 + 1] == 0x80 && (object.bytes[$0 + 2] & 0xFE) == 0xA8
                }
                #expect(!separators)
            }
            let decoded = try PythonJSON.decode(objects.map(\.bytes))
            try #require(decoded.count == objects.count, "python3 answered \(decoded.count) lines for \(objects.count) objects")
            var mismatches = 0
            for (object, answer) in zip(objects, decoded) where answer != object.expected {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record(
                        "\(object.text.debugDescription)\n python: \(answer)\n wanted: \(object.expected)"
                    )
                }
            }
            #expect(mismatches == 0, "\(mismatches) of \(objects.count) objects decoded differently")
        }
    }
}
