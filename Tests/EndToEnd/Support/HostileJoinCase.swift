/// A hostile join — deep nesting, sizes at the limits, huge numbers, bad
/// UTF-8, surrogate escapes, control characters, colons — and what each
/// gateway must answer (the texts are `JoinError.message` and
/// `JoinRequest.validate`; the limit on a join's size is
/// `GatewayLimits.maxJoinBytes` on both gateways). The join is built for a room, so that
/// accepted joins on the two gateways never meet.
struct HostileJoinCase: Sendable {
    /// What a gateway does with the join.
    enum Outcome: Sendable {
        /// Joined: the member's probe line comes back under `name`.
        case joined(String)
        /// Refused with `error: <message>` (TCP line; WebSocket text, then close 1008).
        case refused(String)
        /// Refused in the JSON format: the whole object, and the message alone (the close reason).
        case refusedJSON(String, message: String)
        /// WebSocket only: refused for its size with `error: <message>`, then close 1009
        /// (a message too big, RFC 6455 §7.4.1) with the message as its reason.
        case refusedOversized(String)
        /// WebSocket only: closed by the frame layer with this code and no text.
        case closed(UInt16)
    }

    let what: String
    let join: @Sendable (_ room: String) -> [UInt8]
    let tcp: Outcome
    let webSocket: Outcome

    init(_ what: String, _ join: @escaping @Sendable (_ room: String) -> [UInt8], tcp: Outcome, webSocket: Outcome? = nil) {
        self.what = what
        self.join = join
        self.tcp = tcp
        self.webSocket = webSocket ?? tcp
    }

    // MARK: Builders

    /// `{"name":<name>,"room":<room><extra>}` with `name` as raw bytes between the quotes.
    static func named(_ name: [UInt8], extra: String = "") -> @Sendable (String) -> [UInt8] {
        { room in Array(#"{"name":""#.utf8) + name + Array(#"","room":"\#(room)"\#(extra)}"#.utf8) }
    }

    static func named(_ name: String, extra: String = "") -> @Sendable (String) -> [UInt8] {
        named(Array(name.utf8), extra: extra)
    }

    /// The same bytes whatever the room.
    static func bytes(_ bytes: [UInt8]) -> @Sendable (String) -> [UInt8] {
        { _ in bytes }
    }

    /// A valid join padded (in an ignored key) to exactly `size` bytes.
    static func padded(_ name: String, to size: Int) -> @Sendable (String) -> [UInt8] {
        { room in
            let head = #"{"name":"\#(name)","room":"\#(room)","pad":""#
            return Array((head + String(repeating: "p", count: size - head.utf8.count - 2) + #""}"#).utf8)
        }
    }

    private static func nested(_ open: String, _ innermost: String, _ close: String, _ count: Int) -> String {
        String(repeating: open, count: count) + innermost + String(repeating: close, count: count)
    }

    // MARK: The cases

    static let all: [HostileJoinCase] = structure + sizes + numbers + encodings + names

    /// Nesting: the join reader goes at most 32 levels deep (`JSONObjectReader.maxDepth`);
    /// both gateways refuse a join over 4096 bytes before reading it, TCP's
    /// scanner once it has 4096 bytes without the object's end, WebSocket at the
    /// frame header that announces more.
    static let structure: [HostileJoinCase] = [
        HostileJoinCase(
            "100,000 nested arrays", bytes(Array(String(repeating: "[", count: 100_000).utf8)),
            tcp: .refused(Hostile.notAnObject),
            webSocket: .refusedOversized(Hostile.tooLarge(4096))),
        HostileJoinCase(
            "100,000 nested objects", bytes(Array(String(repeating: #"{"a":"#, count: 100_000).utf8)),
            tcp: .refused(Hostile.tooLarge(4096)), webSocket: .refusedOversized(Hostile.tooLarge(4096))),
        HostileJoinCase(
            "an object opening 100,000 arrays", bytes(Array((#"{"a":"# + String(repeating: "[", count: 100_000)).utf8)),
            tcp: .refused(Hostile.tooLarge(4096)), webSocket: .refusedOversized(Hostile.tooLarge(4096))),
        HostileJoinCase(
            "4,090 nested arrays", bytes(Array(String(repeating: "[", count: 4090).utf8)), tcp: .refused(Hostile.notAnObject)),
        HostileJoinCase(
            "an object holding 2,000 nested arrays", bytes(Array(("{\"a\":" + nested("[", "", "]", 2000) + "}").utf8)),
            tcp: .refused(Hostile.invalidJSON("nested too deeply"))),
        HostileJoinCase(
            "600 nested objects", bytes(Array(nested(#"{"a":"#, "{}", "}", 600).utf8)),
            tcp: .refused(Hostile.invalidJSON("nested too deeply"))),
        HostileJoinCase(
            "33 nested arrays", named("Deep", extra: #","x":"# + nested("[", "", "]", 33)),
            tcp: .refused(Hostile.invalidJSON("nested too deeply"))),
        HostileJoinCase("32 nested arrays", named("Deep32", extra: #","x":"# + nested("[", "", "]", 32)), tcp: .joined("Deep32")),
        HostileJoinCase(
            "33 nested objects", named("DeepO", extra: #","x":"# + nested(#"{"x":"#, "{}", "}", 32)),
            tcp: .refused(Hostile.invalidJSON("nested too deeply"))),
        HostileJoinCase(
            "32 nested objects", named("DeepO32", extra: #","x":"# + nested(#"{"x":"#, "{}", "}", 31)), tcp: .joined("DeepO32")),
        HostileJoinCase(
            "a number as the name", bytes(Array(#"{"name":123456789012345678901234567890,"room":"r"}"#.utf8)),
            tcp: .refused(#""name" must be a string; \#(Hostile.joinShape)"#)),
    ]

    /// Joins may be 4096 bytes on both gateways (`GatewayLimits.maxJoinBytes`);
    /// on WebSocket the first message is the join, so the 1 MiB message limit
    /// (`WebSocketOptions.maxMessageBytes`) applies only after it.
    static let sizes: [HostileJoinCase] = [
        HostileJoinCase("a join of exactly 4096 bytes", padded("Max", to: 4096), tcp: .joined("Max")),
        HostileJoinCase(
            "a join of 4097 bytes", padded("Over", to: 4097), tcp: .refused(Hostile.tooLarge(4096)),
            webSocket: .refusedOversized(Hostile.tooLarge(4096))),
        HostileJoinCase(
            "a join of exactly 1 MiB", padded("Mib", to: 1 << 20), tcp: .refused(Hostile.tooLarge(4096)),
            webSocket: .refusedOversized(Hostile.tooLarge(4096))),
        HostileJoinCase(
            "a join of 1 MiB + 1", padded("MibOver", to: (1 << 20) + 1), tcp: .refused(Hostile.tooLarge(4096)),
            webSocket: .refusedOversized(Hostile.tooLarge(4096))),
    ]

    static let numbers: [HostileJoinCase] = [
        HostileJoinCase("history 1e999999", named("Num", extra: #","history":1e999999"#), tcp: .refused(Hostile.historyRange)),
        HostileJoinCase(
            "history of 4,000 digits", named("Num", extra: #","history":"# + String(repeating: "9", count: 4000)),
            tcp: .refused(Hostile.historyRange)),
        HostileJoinCase(
            "history of 500,000 digits", named("Num", extra: #","history":"# + String(repeating: "7", count: 500_000)),
            tcp: .refused(Hostile.tooLarge(4096)), webSocket: .refusedOversized(Hostile.tooLarge(4096))),
        HostileJoinCase("history 1000001", named("Num", extra: #","history":1000001"#), tcp: .refused(Hostile.historyRange)),
        HostileJoinCase("history 1000000", named("Hist", extra: #","history":1000000"#), tcp: .joined("Hist")),
        HostileJoinCase("history -1", named("Num", extra: #","history":-1"#), tcp: .refused(Hostile.historyRange)),
        HostileJoinCase("history 1.0", named("Num", extra: #","history":1.0"#), tcp: .refused(Hostile.historyRange)),
        HostileJoinCase("history 1e3", named("Num", extra: #","history":1e3"#), tcp: .refused(Hostile.historyRange)),
        HostileJoinCase(
            "since 2^53", named("Num", extra: #","since":9007199254740992,"epoch":"e""#), tcp: .refused(Hostile.sinceRange)),
        HostileJoinCase(
            "since 2^64", named("Num", extra: #","since":18446744073709551616,"epoch":"e""#), tcp: .refused(Hostile.sinceRange)),
        HostileJoinCase("since 2^53-1", named("Since", extra: #","since":9007199254740991,"epoch":"e""#), tcp: .joined("Since")),
        HostileJoinCase(
            "an ignored key holding 3,000 digits", named("Digits", extra: #","pad":"# + String(repeating: "8", count: 3000)),
            tcp: .joined("Digits")),
        HostileJoinCase("an ignored key holding -1.5e-99999", named("Tiny", extra: #","pad":-1.5e-99999"#), tcp: .joined("Tiny")),
    ]

    /// Raw bytes that are not UTF-8 (the WebSocket frame layer refuses the text
    /// message, 1007, before JSON sees it) and surrogate escapes (RFC 8259 §7).
    static let encodings: [HostileJoinCase] =
        [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]].map { raw in
            HostileJoinCase(
                "a name of raw bytes \(raw)", named([0x4E] + raw),
                tcp: .refused(Hostile.invalidJSON("string is not valid UTF-8")),
                webSocket: .closed(1007))
        }
        + [#"\ud800"#, #"\udc00"#, #"\ud800\u0041"#, #"a\ud800b"#, #"\udbff\udbff"#].map { escape in
            HostileJoinCase("a name with \(escape)", named(escape), tcp: .refused(Hostile.invalidJSON("unpaired surrogate")))
        }
        + [HostileJoinCase("a name with a surrogate pair", named(#"\ud83d\ude00"#), tcp: .joined("😀"))]

    static let names: [HostileJoinCase] =
        [#"\u0007"#, #"a\u0000b"#, #"\u001f"#, #"\u007f"#, #"\u0085"#, #"\u2028"#, #"\u2029"#].map { escape in
            HostileJoinCase(
                "a name with \(escape)", named("N" + escape), tcp: .refused("name must not contain control characters"))
        }
        + [[0x7F], [0xC2, 0x85], [0xE2, 0x80, 0xA8]].map { raw in
            HostileJoinCase(
                "a name with raw \(raw)", named([0x4E] + raw), tcp: .refused("name must not contain control characters"))
        }
        + [
            HostileJoinCase(
                "a name with a raw control byte", named([0x4E, 0x01]),
                tcp: .refused(Hostile.invalidJSON("unescaped control character in string"))),
            HostileJoinCase(
                "a room with \\u0007", { _ in Array(#"{"name":"Bell","room":"r\u0007"}"#.utf8) },
                tcp: .refused("room must not contain control characters")),
            HostileJoinCase("a name with ':'", named("Mina:x"), tcp: .refused("name must not contain ':'")),
            HostileJoinCase("a name with an escaped ':'", named(#"\u003a"#), tcp: .refused("name must not contain ':'")),
            HostileJoinCase(
                "a room with ':'", { room in Array(#"{"name":"Colon","room":"\#(room):b"}"#.utf8) }, tcp: .joined("Colon")),
            HostileJoinCase(
                "a ':' in the JSON format", named("a:b", extra: #","format":"json""#),
                tcp: .refusedJSON(
                    #"{"type":"error","message":"name must not contain ':'"}"#, message: "name must not contain ':'")),
            HostileJoinCase("an empty name", named(""), tcp: .refused("name must not be empty")),
            HostileJoinCase(
                "a name of 64 bytes", named(String(repeating: "n", count: 64)), tcp: .joined(String(repeating: "n", count: 64))),
            HostileJoinCase(
                "a name of 65 bytes", named(String(repeating: "n", count: 65)), tcp: .refused("name must be at most 64 bytes")),
            HostileJoinCase(
                "a name of 64 bytes in 22 characters", named(String(repeating: "€", count: 21) + "a"),
                tcp: .joined(String(repeating: "€", count: 21) + "a")),
            HostileJoinCase(
                "a name of 66 bytes in 22 characters", named(String(repeating: "€", count: 22)),
                tcp: .refused("name must be at most 64 bytes")),
        ]
}
