import Testing

@testable import Redis

/// Values and their exact wire bytes, from the RESP2 and RESP3 specifications
/// (https://github.com/redis/redis-specifications/blob/master/protocol/RESP3.md).
enum RESPFixtures {
    struct Fixture: CustomTestStringConvertible, Sendable {
        let value: RESPValue
        let bytes: [UInt8]
        var testDescription: String { "\(value)" }
    }

    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static func f(_ value: RESPValue, _ text: String) -> Fixture { Fixture(value: value, bytes: b(text)) }

    /// Canonical encodings: decoding gives the value, encoding gives the bytes.
    static let exact: [Fixture] = [
        f(.simpleString(b("OK")), "+OK\r\n"),
        f(.simpleString([]), "+\r\n"),
        f(.error(b("ERR unknown command 'x'")), "-ERR unknown command 'x'\r\n"),
        f(.integer(0), ":0\r\n"),
        f(.integer(-42), ":-42\r\n"),
        f(.integer(Int64.max), ":9223372036854775807\r\n"),
        f(.integer(Int64.min), ":-9223372036854775808\r\n"),
        f(.bulkString(b("hello")), "$5\r\nhello\r\n"),
        f(.bulkString([]), "$0\r\n\r\n"),
        Fixture(value: .bulkString([0, 13, 10, 255]), bytes: b("$4\r\n") + [0, 13, 10, 255] + b("\r\n")),
        f(.nullBulkString, "$-1\r\n"),
        f(.array([]), "*0\r\n"),
        f(.array([.integer(1), .bulkString(b("two")), .nullBulkString]), "*3\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n"),
        f(.array([.array([.integer(1)]), .array([])]), "*2\r\n*1\r\n:1\r\n*0\r\n"),
        f(.nullArray, "*-1\r\n"),
        f(.null, "_\r\n"),
        f(.boolean(true), "#t\r\n"),
        f(.boolean(false), "#f\r\n"),
        f(.double(1.23), ",1.23\r\n"),
        f(.double(10.0), ",10.0\r\n"),
        f(.double(.infinity), ",inf\r\n"),
        f(.double(-.infinity), ",-inf\r\n"),
        f(.double(.nan), ",nan\r\n"),
        f(.bigNumber(b("3492890328409238509324850943850943825024385")), "(3492890328409238509324850943850943825024385\r\n"),
        f(.bigNumber(b("-1")), "(-1\r\n"),
        f(.bulkError(b("SYNTAX invalid syntax")), "!21\r\nSYNTAX invalid syntax\r\n"),
        f(.verbatimString(format: b("txt"), text: b("Some string")), "=15\r\ntxt:Some string\r\n"),
        f(.verbatimString(format: b("mkd"), text: []), "=4\r\nmkd:\r\n"),
        f(
            .map([RESPPair(key: .simpleString(b("first")), value: .integer(1)), RESPPair(key: .bulkString(b("2")), value: .null)]
            ),
            "%2\r\n+first\r\n:1\r\n$1\r\n2\r\n_\r\n"),
        f(.map([]), "%0\r\n"),
        f(.set([.simpleString(b("orange")), .integer(3)]), "~2\r\n+orange\r\n:3\r\n"),
        f(.set([]), "~0\r\n"),
        f(
            .attributed(
                attributes: [RESPPair(key: .simpleString(b("ttl")), value: .integer(3600))],
                value: .array([.integer(2039123), .integer(9543892)])),
            "|1\r\n+ttl\r\n:3600\r\n*2\r\n:2039123\r\n:9543892\r\n"),
        f(.attributed(attributes: [], value: .integer(1)), "|0\r\n:1\r\n"),
        f(
            .push([.bulkString(b("message")), .bulkString(b("chan")), .bulkString(b("hi"))]),
            ">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n"),
        f(.push([]), ">0\r\n"),
    ]

    /// A stream of every exact fixture back to back.
    static var stream: [UInt8] { exact.flatMap(\.bytes) }
}
