/// Validation of the contents of RESP lines and small payloads, kept apart
/// from the framing in `RESPDecoder`: the decoder finds where a value's bytes
/// are; these functions decide whether those bytes are a valid value of the
/// type (RESP3 specification, "Simple types").
enum RESPScalar {
    private static let minus = UInt8(ascii: "-")
    private static let plus = UInt8(ascii: "+")
    private static let zero = UInt8(ascii: "0")
    private static let nine = UInt8(ascii: "9")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// The length of a bulk or aggregate: a decimal count, or -1 (null) when
    /// `allowsNull`. No sign is accepted on counts.
    static func length(_ line: UnsafeRawBufferPointer, type: UInt8, allowsNull: Bool) throws(RESPProtocolError) -> Int {
        if line.count == 2 && line[0] == minus && line[1] == UInt8(ascii: "1") {
            guard allowsNull else { throw .invalidLength(type: type) }
            return -1
        }
        guard let value = unsignedDecimal(line), value <= UInt64(Int.max) else { throw .invalidLength(type: type) }
        return Int(value)
    }

    /// A `:` integer: an optional sign and decimal digits that fit in Int64.
    static func integer(_ line: UnsafeRawBufferPointer) throws(RESPProtocolError) -> Int64 {
        var digits = line
        var negative = false
        if let first = line.first, first == minus || first == plus {
            negative = first == minus
            digits = UnsafeRawBufferPointer(rebasing: line[1...])
        }
        guard let magnitude = unsignedDecimal(digits) else { throw .invalidInteger }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .invalidInteger }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .invalidInteger }
        return Int64(magnitude)
    }

    /// Decimal digits only (at least one), or nil on anything else or overflow.
    private static func unsignedDecimal(_ digits: UnsafeRawBufferPointer) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= zero && byte <= nine else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - zero))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// A `,` double: `[+|-]digits[.digits][(e|E)[+|-]digits]`, or `inf`,
    /// `-inf`, `nan` (and `-nan`, which C's printf writes for a negative NaN).
    static func double(_ line: UnsafeRawBufferPointer) throws(RESPProtocolError) -> Double {
        if line.count <= 4 {
            switch Array(line) {
            case Array("inf".utf8): return .infinity
            case Array("-inf".utf8): return -.infinity
            case Array("nan".utf8), Array("-nan".utf8): return .nan
            default: break
            }
        }
        guard isDecimalFloat(line), let value = Double(String(decoding: line, as: UTF8.self)) else { throw .invalidDouble }
        return value
    }

    /// The grammar of a finite RESP3 double, checked before `Double(_:)` so
    /// that forms strtod accepts but RESP does not (hex, `infinity`, `1.`,
    /// spaces) are refused.
    private static func isDecimalFloat(_ line: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < line.count && line[index] >= zero && line[index] <= nine { index += 1 }
            return index - start
        }
        if index < line.count && (line[index] == minus || line[index] == plus) { index += 1 }
        guard digits() > 0 else { return false }
        if index < line.count && line[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < line.count && (line[index] == UInt8(ascii: "e") || line[index] == UInt8(ascii: "E")) {
            index += 1
            if index < line.count && (line[index] == minus || line[index] == plus) { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == line.count
    }

    /// A `#` boolean: exactly `t` or `f`.
    static func boolean(_ line: UnsafeRawBufferPointer) throws(RESPProtocolError) -> Bool {
        guard line.count == 1 else { throw .invalidBoolean }
        switch line[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw .invalidBoolean
        }
    }

    /// A `(` big number: an optional sign and at least one digit, any length.
    static func bigNumber(_ line: UnsafeRawBufferPointer) throws(RESPProtocolError) -> [UInt8] {
        var start = 0
        if let first = line.first, first == minus || first == plus { start = 1 }
        guard line.count > start else { throw .invalidBigNumber }
        for byte in line[start...] where byte < zero || byte > nine { throw .invalidBigNumber }
        return Array(line)
    }

    /// A `_` null carries nothing.
    static func null(_ line: UnsafeRawBufferPointer) throws(RESPProtocolError) {
        guard line.isEmpty else { throw .invalidNull }
    }

    /// A `+` or `-` line may hold any bytes but CR and LF (the line ends at the
    /// first CRLF, so only a bare CR or LF can be inside).
    static func simpleLine(_ line: UnsafeRawBufferPointer, type: UInt8) throws(RESPProtocolError) -> [UInt8] {
        for byte in line where byte == cr || byte == lf { throw .invalidSimpleLine(type: type) }
        return Array(line)
    }

    /// A verbatim payload: three format bytes, `:`, then the text.
    static func verbatim(_ payload: UnsafeRawBufferPointer) throws(RESPProtocolError) -> RESPValue {
        guard payload.count >= 4, payload[3] == UInt8(ascii: ":") else { throw .invalidVerbatimFormat }
        return .verbatimString(format: Array(payload[0..<3]), text: Array(payload[4...]))
    }
}
