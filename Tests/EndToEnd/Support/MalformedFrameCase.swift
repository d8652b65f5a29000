/// A client frame (or a few) that breaks RFC 6455, and how the gateway must
/// answer it: a close frame with `code` (nil: an empty close, the echo of
/// an empty one) and `reason`, and no text before it. (A 1009 case before the
/// join is an oversized join instead: TCP's error text, then 1009 with it.)
struct MalformedFrameCase {
    let what: String
    let bytes: [UInt8]
    /// The server's close code (nil: an empty close frame) and reason.
    let code: UInt16?
    var reason = ""

    /// RFC 6455 §1.3's sample masking key.
    static let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    /// Every case, each for a connection of its own.
    static let all: [MalformedFrameCase] = {
        let text = RawFrame.text
        var cases: [MalformedFrameCase] = [
            MalformedFrameCase(
                what: "64-bit length 2^63", bytes: RawFrame.header(opcode: text, length: 1 << 63, key: key), code: 1002),
            MalformedFrameCase(
                what: "64-bit length 2^64-1", bytes: RawFrame.header(opcode: text, length: .max, key: key), code: 1002),
            MalformedFrameCase(
                what: "64-bit length 2^63-1", bytes: RawFrame.header(opcode: text, length: (1 << 63) - 1, key: key), code: 1009),
            MalformedFrameCase(
                what: "binary of 2^63-1", bytes: RawFrame.header(opcode: RawFrame.binary, length: (1 << 63) - 1, key: key),
                code: 1009),
            MalformedFrameCase(
                what: "text of 1 MiB + 1", bytes: RawFrame.header(opcode: text, length: (1 << 20) + 1, key: key), code: 1009),
            MalformedFrameCase(
                what: "ping of 126 bytes",
                bytes: RawFrame.frame(opcode: RawFrame.ping, payload: .init(repeating: 0x70, count: 126), key: key),
                code: 1002),
            MalformedFrameCase(
                what: "close of 126 bytes",
                bytes: RawFrame.frame(
                    opcode: RawFrame.close, payload: RawFrame.closePayload(code: 1000) + .init(repeating: 0x61, count: 124),
                    key: key),
                code: 1002),
            // Acceptable (a pong, in a longer length form than needed), then an empty close.
            MalformedFrameCase(
                what: "pong with a 64-bit length of 5",
                bytes: RawFrame.frame(opcode: RawFrame.pong, payload: Array("hello".utf8), key: key, encoding: .sixtyFourBits)
                    + RawFrame.frame(opcode: RawFrame.close, payload: [], key: key), code: nil),
            MalformedFrameCase(
                what: "ping without FIN", bytes: RawFrame.frame(opcode: RawFrame.ping, payload: [], fin: false, key: key),
                code: 1002),
            MalformedFrameCase(
                what: "unmasked text", bytes: RawFrame.frame(opcode: text, payload: Array("hello".utf8), key: nil), code: 1002),
            MalformedFrameCase(
                what: "unmasked ping", bytes: RawFrame.frame(opcode: RawFrame.ping, payload: [], key: nil), code: 1002),
            MalformedFrameCase(
                what: "unmasked close",
                bytes: RawFrame.frame(opcode: RawFrame.close, payload: RawFrame.closePayload(code: 1000), key: nil),
                code: 1002),
            MalformedFrameCase(
                what: "continuation first", bytes: RawFrame.frame(opcode: RawFrame.continuation, payload: [0x61], key: key),
                code: 1002),
            MalformedFrameCase(
                what: "text inside a fragmented text",
                bytes: RawFrame.frame(opcode: text, payload: [0x61], fin: false, key: key)
                    + RawFrame.frame(opcode: text, payload: [0x62], key: key),
                code: 1002),
            MalformedFrameCase(
                what: "close of one byte", bytes: RawFrame.frame(opcode: RawFrame.close, payload: [0x03], key: key), code: 1002),
            MalformedFrameCase(
                what: "text not UTF-8", bytes: RawFrame.frame(opcode: text, payload: [0x61, 0xFF, 0x62], key: key), code: 1007),
            MalformedFrameCase(
                what: "text ending inside a character", bytes: RawFrame.frame(opcode: text, payload: [0xE2, 0x82], key: key),
                code: 1007),
            MalformedFrameCase(
                what: "a character split over fragments, never finished",
                bytes: RawFrame.frame(opcode: text, payload: [0xE2], fin: false, key: key)
                    + RawFrame.frame(opcode: RawFrame.continuation, payload: [0x82], key: key), code: 1007),
            MalformedFrameCase(
                what: "close reason not UTF-8",
                bytes: RawFrame.frame(
                    opcode: RawFrame.close, payload: RawFrame.closePayload(code: 1000, reason: [0xC0, 0x80]), key: key),
                code: 1007),
            MalformedFrameCase(
                what: "a normal close",
                bytes: RawFrame.frame(opcode: RawFrame.close, payload: RawFrame.closePayload(code: 1000), key: key),
                code: 1000),
            MalformedFrameCase(
                what: "a private close code",
                bytes: RawFrame.frame(
                    opcode: RawFrame.close, payload: RawFrame.closePayload(code: 4999, reason: Array("bye".utf8)), key: key),
                code: 4999),
            MalformedFrameCase(
                what: "an empty close", bytes: RawFrame.frame(opcode: RawFrame.close, payload: [], key: key), code: nil),
        ]
        for rsv: UInt8 in [1, 2, 4, 7] {
            cases.append(
                MalformedFrameCase(
                    what: "RSV bits \(rsv)", bytes: RawFrame.frame(opcode: text, payload: [0x61], rsv: rsv, key: key), code: 1002)
            )
        }
        cases.append(
            MalformedFrameCase(
                what: "RSV1 on a ping", bytes: RawFrame.frame(opcode: RawFrame.ping, payload: [], rsv: 4, key: key), code: 1002))
        for opcode: UInt8 in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] {
            cases.append(
                MalformedFrameCase(
                    what: "opcode \(opcode)", bytes: RawFrame.frame(opcode: opcode, payload: [0x61], key: key), code: 1002))
        }
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            cases.append(
                MalformedFrameCase(
                    what: "close code \(code)",
                    bytes: RawFrame.frame(opcode: RawFrame.close, payload: RawFrame.closePayload(code: code), key: key),
                    code: 1002))
        }
        return cases
    }()
}
