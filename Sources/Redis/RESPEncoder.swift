/// Encodes RESP straight into a caller's `[UInt8]` (a connection's outbound
/// storage), with no intermediate arrays.
///
/// Commands are what a client sends: an array of bulk strings (RESP2
/// specification, "Sending commands to a Redis server"). Any `RESPValue` can
/// be encoded too, for tests and for the fuzz round trip.
public enum RESPEncoder {
    static let crlf: (UInt8, UInt8) = (UInt8(ascii: "\r"), UInt8(ascii: "\n"))

    /// Appends a command: `*N\r\n` and one bulk string per argument, e.g.
    /// `encodeCommand("SET", key, 42, into: &buffer)`.
    public static func encodeCommand<each Argument: RESPArgument>(
        _ arguments: repeat each Argument, into buffer: inout [UInt8]
    ) {
        var count = 0
        for _ in repeat each arguments { count += 1 }
        precondition(count > 0, "a command needs at least its name")
        encodeArrayHeader(count: count, into: &buffer)
        for argument in repeat each arguments { argument.appendBulkString(to: &buffer) }
    }

    /// Appends a command of exactly `argumentCount` arguments written by
    /// `body` (for argument lists built at run time). Traps if `body` writes
    /// another number: a wrong count would misalign every later reply.
    public static func encodeCommand(
        argumentCount: Int, into buffer: inout [UInt8], _ body: (inout RESPArgumentWriter) -> Void
    ) {
        precondition(argumentCount > 0, "a command needs at least its name")
        encodeArrayHeader(count: argumentCount, into: &buffer)
        var writer = RESPArgumentWriter()
        // Swapping moves the storage in and out without copying it.
        swap(&writer.bytes, &buffer)
        body(&writer)
        swap(&writer.bytes, &buffer)
        precondition(writer.count == argumentCount, "command declared \(argumentCount) arguments but wrote \(writer.count)")
    }

    /// Appends `*count\r\n`.
    public static func encodeArrayHeader(count: Int, into buffer: inout [UInt8]) {
        encodeLine(UInt8(ascii: "*"), count, into: &buffer)
    }

    /// Appends `$length\r\nbytes\r\n`.
    public static func encodeBulkString(_ bytes: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        encodeLine(UInt8(ascii: "$"), bytes.count, into: &buffer)
        buffer.append(contentsOf: bytes)
        appendCRLF(&buffer)
    }

    /// Appends any value in its canonical encoding. Simple strings and errors
    /// must not contain CR or LF (a decoded one never does).
    public static func encode(_ value: RESPValue, into buffer: inout [UInt8]) {
        switch value {
        case .simpleString(let bytes): encodeSimple(UInt8(ascii: "+"), bytes, into: &buffer)
        case .error(let bytes): encodeSimple(UInt8(ascii: "-"), bytes, into: &buffer)
        case .integer(let value):
            buffer.append(UInt8(ascii: ":"))
            appendDecimal(value, to: &buffer)
            appendCRLF(&buffer)
        case .bulkString(let bytes): bytes.withUnsafeBytes { encodeBulkString($0, into: &buffer) }
        case .nullBulkString: encodeSimple(UInt8(ascii: "$"), Array("-1".utf8), into: &buffer)
        case .array(let elements): encodeAggregate(UInt8(ascii: "*"), elements, into: &buffer)
        case .nullArray: encodeSimple(UInt8(ascii: "*"), Array("-1".utf8), into: &buffer)
        case .null: encodeSimple(UInt8(ascii: "_"), [], into: &buffer)
        case .boolean(let value): encodeSimple(UInt8(ascii: "#"), [value ? UInt8(ascii: "t") : UInt8(ascii: "f")], into: &buffer)
        case .double(let value): encodeSimple(UInt8(ascii: ","), doubleText(value), into: &buffer)
        case .bigNumber(let digits): encodeSimple(UInt8(ascii: "("), digits, into: &buffer)
        case .bulkError(let bytes):
            encodeLine(UInt8(ascii: "!"), bytes.count, into: &buffer)
            buffer.append(contentsOf: bytes)
            appendCRLF(&buffer)
        case .verbatimString(let format, let text):
            precondition(format.count == 3, "a verbatim format is three bytes")
            encodeLine(UInt8(ascii: "="), 4 + text.count, into: &buffer)
            buffer.append(contentsOf: format)
            buffer.append(UInt8(ascii: ":"))
            buffer.append(contentsOf: text)
            appendCRLF(&buffer)
        case .map(let pairs): encodePairs(UInt8(ascii: "%"), pairs, into: &buffer)
        case .set(let elements): encodeAggregate(UInt8(ascii: "~"), elements, into: &buffer)
        case .attributed(let attributes, let value):
            encodePairs(UInt8(ascii: "|"), attributes, into: &buffer)
            encode(value, into: &buffer)
        case .push(let elements): encodeAggregate(UInt8(ascii: ">"), elements, into: &buffer)
        }
    }

    /// The encoding of `value` as a new array (tests and diagnostics).
    public static func encoded(_ value: RESPValue) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(value, into: &buffer)
        return buffer
    }

    private static func encodeSimple(_ type: UInt8, _ bytes: [UInt8], into buffer: inout [UInt8]) {
        buffer.append(type)
        buffer.append(contentsOf: bytes)
        appendCRLF(&buffer)
    }

    private static func encodeAggregate(_ type: UInt8, _ elements: [RESPValue], into buffer: inout [UInt8]) {
        encodeLine(type, elements.count, into: &buffer)
        for element in elements { encode(element, into: &buffer) }
    }

    private static func encodePairs(_ type: UInt8, _ pairs: [RESPPair], into buffer: inout [UInt8]) {
        encodeLine(type, pairs.count, into: &buffer)
        for pair in pairs {
            encode(pair.key, into: &buffer)
            encode(pair.value, into: &buffer)
        }
    }

    /// RESP3 spells the special doubles `inf`, `-inf` and `nan`; Swift's
    /// shortest round-trip form (`1.5`, `1e-05`) fits the grammar otherwise.
    static func doubleText(_ value: Double) -> [UInt8] {
        if value.isNaN { return Array("nan".utf8) }
        if value.isInfinite { return Array((value < 0 ? "-inf" : "inf").utf8) }
        return Array(value.description.utf8)
    }

    /// Appends the decimal form of `value` as one bulk string (an argument), with no String.
    public static func encodeBulkDecimal(_ value: UInt64, into buffer: inout [UInt8]) {
        encodeLine(UInt8(ascii: "$"), decimalDigitCount(value), into: &buffer)
        appendDecimal(magnitude: value, to: &buffer)
        appendCRLF(&buffer)
    }

    /// Appends `type`, the decimal `count` and CRLF (a header line).
    @inline(__always)
    static func encodeLine(_ type: UInt8, _ count: Int, into buffer: inout [UInt8]) {
        buffer.append(type)
        appendDecimal(Int64(count), to: &buffer)
        appendCRLF(&buffer)
    }

    @inline(__always)
    static func appendCRLF(_ buffer: inout [UInt8]) {
        buffer.append(crlf.0)
        buffer.append(crlf.1)
    }

    /// Appends the decimal digits of `value` in place, with no String.
    static func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDecimal(magnitude: value.magnitude, to: &buffer)
    }

    public static func appendDecimal(magnitude: UInt64, to buffer: inout [UInt8]) {
        let digits = decimalDigitCount(magnitude)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var rest = magnitude
        var index = start + digits - 1
        while rest > 0 {
            buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }

    /// Digits in the decimal form of `value` (1 for zero).
    public static func decimalDigitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }
}
