import Testing

@testable import Auth

@Suite struct JSONReaderTests {
    private func read(
        _ text: String, maxDepth: Int = JSONReader.defaultMaxDepth
    ) throws(JSONReader.Failure) -> JSONObject {
        try JSONReader.readObject(utf8(text), maxBytes: 65536, maxDepth: maxDepth)
    }

    @Test func aTypicalClaimsSetIsRead() throws {
        let object = try read(#" { "sub" : "Mina", "rooms":["dev","ops-*"], "exp":1700000000, "admin":false, "x":null } "#)
        #expect(object["sub"] == .string("Mina"))
        #expect(object["rooms"] == .array([.string("dev"), .string("ops-*")]))
        #expect(object["exp"] == .number(JSONNumber(literal: "1700000000")))
        #expect(object["admin"] == .bool(false))
        #expect(object["x"] == .null)
    }

    @Test func escapesAndSurrogatePairsAreDecoded() throws {
        let object = try read(#"{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\udc1d","raw":"é€🐝"}"#)
        #expect(object["s"] == .string("a\"b\\c/d\u{8}\u{c}\n\r\té€🐝"))
        #expect(object["raw"] == .string("é€🐝"))
    }

    /// Documents written by Python's json module (random nesting, Unicode
    /// strings with escapes, integers, floats; both ASCII-escaped and raw
    /// UTF-8) read back to the same values: we print what we read the way
    /// Python prints with sort_keys and ensure_ascii, and compare the text.
    @Test func documentsWrittenByPythonReadBackToTheSameValues() throws {
        let script = #"""
            import json, random, sys
            sys.stdout.reconfigure(encoding="utf-8")
            rng = random.Random(20261201)
            def text():
                pool = [chr(c) for c in range(0x20, 0x7f)] + ['"', '\\', '\n', '\t', '\x00', '\x1f', '\x7f', 'é', '€',
                        '\u2028', '\ufeff', '🐝', '\U0010ffff', '中']
                return "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))
            def value(depth):
                kind = rng.randrange(8 if depth < 4 else 5)
                if kind == 0: return text()
                if kind == 1: return rng.choice([0, -1, 1, 2**53, -2**63, 2**63 - 1, 10**30, rng.randrange(-10**12, 10**12)])
                if kind == 2: return rng.choice([0.5, -1.25, 1e100, 1.7e9, 123456.789, -0.0, 5e-324])
                if kind == 3: return rng.choice([True, False])
                if kind == 4: return None
                if kind == 5: return [value(depth + 1) for _ in range(rng.randrange(0, 4))]
                return {text(): value(depth + 1) for _ in range(rng.randrange(0, 4))}
            for i in range(300):
                doc = {text(): value(1) for _ in range(rng.randrange(0, 5))}
                indent = rng.choice([None, 1, "\t"])
                print(json.dumps(doc, ensure_ascii=bool(i % 2), indent=indent).replace("\n", "\r\n" if i % 3 else "\n"))
                print("\x1e")
                print(json.dumps(doc, ensure_ascii=True, sort_keys=True, separators=(",", ":")))
                print("\x1e")
            """#
        let output = try Python.run(script)
        let parts = output.components(separatedBy: "\n\u{1e}\n").dropLast()
        #expect(parts.count == 600)
        for index in stride(from: 0, to: parts.count - 1, by: 2) {
            let document = String(parts[parts.startIndex + index])
            let canonical = String(parts[parts.startIndex + index + 1])
            let object = try read(document)
            #expect(PythonStyle.canonical(.object(object)) == canonical, "document \(index / 2): \(document)")
        }
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate name \"a\""),
        (#"{"a":01}"#, "leading zero in a number"),
        (#"{"a":-}"#, "expected a digit"),
        (#"{"a":1.}"#, "expected a digit after '.'"),
        (#"{"a":.5}"#, "expected a value"),
        (#"{"a":+1}"#, "expected a value"),
        (#"{"a":1e}"#, "expected a digit in the exponent"),
        (#"{"a":NaN}"#, "expected a value"),
        (#"{"a":Infinity}"#, "expected a value"),
        (#"{"a":tru}"#, "expected a value"),
        (#"{"a":1,}"#, "expected a string key"),
        (#"{"a":[1,]}"#, "expected a value"),
        (#"{'a':1}"#, "expected a string key"),
        (#"{a:1}"#, "expected a string key"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{"a":1"#, "expected ',' or '}'"),
        (#"{"a":"x}"#, "unterminated string"),
        ("{\"a\":\"x\ty\"}", "control character in a string"),
        (#"{"a":"\x"}"#, "invalid escape"),
        (#"{"a":"\u12"}"#, "expected four hex digits"),
        (#"{"a":"\ud800"}"#, "unpaired surrogate escape"),
        (#"{"a":"\udc00"}"#, "unpaired surrogate escape"),
        (#"{"a":"\ud800\u0041"}"#, "unpaired surrogate escape"),
        (#"{"a":1} {}"#, "unexpected bytes after the object"),
        (#"{"a":1} // comment"#, "unexpected bytes after the object"),
        (#"[1]"#, "expected an object"),
        (#""a""#, "expected an object"),
        ("", "expected an object"),
        ("\u{feff}{}", "expected an object"),
        ("{\u{a0}}", "expected a string key"),
    ])
    func malformedJSONIsRefusedWithAReason(text: String, problem: String) {
        do {
            let object = try read(text)
            Issue.record("accepted \(text) as \(object)")
        } catch {
            #expect(error.problem == problem, "\(text)")
        }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        for bad: [UInt8] in [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]] {
            let document = utf8(#"{"a":""#) + bad + utf8(#""}"#)
            #expect(throws: JSONReader.Failure(offset: 5, problem: "string is not valid UTF-8")) {
                try JSONReader.readObject(document, maxBytes: 100)
            }
        }
    }

    @Test func nestingIsBounded() throws {
        let allowed = #"{"a":"# + String(repeating: "[", count: 15) + String(repeating: "]", count: 15) + "}"
        _ = try read(allowed, maxDepth: 16)
        let deeper = #"{"a":"# + String(repeating: "[", count: 16) + String(repeating: "]", count: 16) + "}"
        #expect(throws: JSONReader.Failure.self) { try read(deeper, maxDepth: 16) }
        let objects = String(repeating: #"{"a":"#, count: 17) + "1" + String(repeating: "}", count: 17)
        #expect(throws: JSONReader.Failure.self) { try read(objects, maxDepth: 16) }
        // Far deeper than the stack could take unbounded: refused at the bound, not a crash.
        let hostile = #"{"a":"# + String(repeating: "[", count: 100_000)
        #expect(throws: JSONReader.Failure.self) { try read(hostile) }
    }

    @Test func sizeIsBounded() {
        let document = utf8(#"{"a":"\#(String(repeating: "x", count: 100))"}"#)
        #expect(throws: JSONReader.Failure.self) { try JSONReader.readObject(document, maxBytes: 50) }
    }

    /// RFC 7519 §2: a NumericDate may be non-integer; we floor it exactly.
    @Test(
        arguments: [
            ("1700000000", 1_700_000_000), ("1700000000.999", 1_700_000_000), ("1.7e9", 1_700_000_000),
            ("17E8", 1_700_000_000), ("1.7E+9", 1_700_000_000), ("170000000000e-2", 1_700_000_000),
            ("0.5e1", 5), ("123.456e2", 12345), ("0", 0), ("-0", 0), ("0.0001e4", 1), ("1e-5", 0), ("-1e-5", -1),
            ("-1.5", -2), ("-2", -2), ("-2.0", -2), ("1e-100000000000", 0), ("9223372036854775807", Int64.max),
            ("-9223372036854775808", Int64.min), ("922337203685477580.7e1", Int64.max), ("1e18", 1_000_000_000_000_000_000),
        ] as [(String, Int64)])
    func numericDatesAreFlooredToWholeSeconds(literal: String, seconds: Int64) {
        #expect(JSONNumber(literal: literal).flooredInteger == seconds)
    }

    @Test(arguments: [
        "9223372036854775808", "-9223372036854775809", "1e19", "1e100000000000", "-1e19", "92233720368547758080e-1",
    ])
    func numericDatesBeyondSixtyFourBitsAreOutOfRange(literal: String) {
        #expect(JSONNumber(literal: literal).flooredInteger == nil)
    }
}
