import WebSocket

// Helpers for the WebSocket tests. Names carry a `ws` prefix because these files are
// compiled into GatewayTests together with other modules' tests.

/// Lowercase hex of `bytes`, for comparing digests with published vectors.
func wsHex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
}

/// The bytes of an ASCII/UTF-8 string.
func wsBytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// A frame as a client sends it (masked with a fixed key), built by the encoder whose
/// exact output FrameEncoderTests pins down.
func wsClientFrame(
    _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, key: UInt32 = 0x3712_A5C9
) -> [UInt8] {
    WebSocketFrame.encode(opcode: opcode, payload: payload, fin: fin, maskingKey: key)
}

/// An unmasked frame as a server sends it.
func wsServerFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
    WebSocketFrame.encode(opcode: opcode, payload: payload, fin: fin)
}

/// A close frame as the server (unmasked) sends it.
func wsServerClose(_ code: UInt16) -> [UInt8] {
    [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)]
}

/// The actions a server machine produces when failing the connection with `code`.
func wsFailure(_ code: UInt16) -> [WebSocketAction] {
    [.send(wsServerClose(code)), .closeConnection]
}

extension WebSocketStateMachine {
    /// Feeds one read.
    mutating func wsReceive(_ bytes: [UInt8]) -> [WebSocketAction] {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// Feeds `bytes` as a sequence of reads of the given sizes (the rest as the last read).
    mutating func wsReceive(_ bytes: [UInt8], splitAt cuts: [Int]) -> [WebSocketAction] {
        var actions: [WebSocketAction] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            actions += wsReceive(Array(bytes[start..<cut]))
            start = cut
        }
        return actions
    }
}

/// Feeds `bytes` to a fresh machine split once at every offset, then one byte at a time,
/// and returns every distinct outcome (a correct parser has exactly one).
func wsOutcomesOverAllSplits(
    _ bytes: [UInt8], makeMachine: () -> WebSocketStateMachine
) -> [[WebSocketAction]] {
    var outcomes: [[WebSocketAction]] = []
    func record(_ actions: [WebSocketAction]) {
        if !outcomes.contains(actions) {
            outcomes.append(actions)
        }
    }
    for cut in 0...bytes.count {
        var machine = makeMachine()
        record(machine.wsReceive(bytes, splitAt: [cut]))
    }
    var machine = makeMachine()
    record(machine.wsReceive(bytes, splitAt: Array(0..<bytes.count)))
    return outcomes
}

extension HTTPRequestParser {
    /// Feeds one read.
    mutating func wsFeed(_ bytes: [UInt8]) -> HTTPParseResult {
        bytes.withUnsafeBytes { feed($0) }
    }
}

extension ClientHandshake {
    /// Feeds one read.
    mutating func wsReceive(_ bytes: [UInt8]) -> ClientHandshakeResult {
        bytes.withUnsafeBytes { receive($0) }
    }
}

/// A small deterministic generator so randomized tests are reproducible.
struct WSTestRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
