/// A JSON number kept as its literal text (already checked against the
/// RFC 8259 §6 grammar), so no precision is lost before a claim asks for it.
struct JSONNumber: Equatable, Sendable {
    /// The literal as it appeared, e.g. `1700000000` or `1.7e9`.
    let literal: String

    /// The largest integer not above the value, if it fits in an `Int64`.
    ///
    /// RFC 7519 §2 lets a NumericDate be non-integer; a time check only needs
    /// whole seconds, and flooring keeps `exp` from lasting longer than issued.
    /// Computed exactly from the digits (no `Double`), exponents included.
    var flooredInteger: Int64? {
        var bytes = Array(literal.utf8)[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        // The significand's digits (integer then fraction) and the power of
        // ten they are scaled by: value = ±digits × 10^scale.
        var digits: [UInt8] = []
        var scale = 0
        var inFraction = false
        while let byte = bytes.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if byte == UInt8(ascii: ".") {
                inFraction = true
                continue
            }
            if digits.isEmpty && byte == UInt8(ascii: "0") {
                // Leading zeros carry no value, only the scale of fraction digits.
                if inFraction { scale -= 1 }
                continue
            }
            digits.append(byte - UInt8(ascii: "0"))
            if inFraction { scale -= 1 }
        }
        if !bytes.isEmpty {
            bytes = bytes.dropFirst()
            let negativeExponent = bytes.first == UInt8(ascii: "-")
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            // Saturate: anything past ±100,000 is out of range or rounds to 0/-1 the same way.
            var exponent = 0
            for byte in bytes {
                exponent = min(exponent * 10 + Int(byte - UInt8(ascii: "0")), 100_000)
            }
            scale += negativeExponent ? -exponent : exponent
        }
        if digits.isEmpty { return 0 }
        var kept = digits.count
        var droppedNonZero = false
        if scale < 0 {
            let cut = min(-scale, digits.count)
            kept = digits.count - cut
            droppedNonZero = digits[kept...].contains { $0 != 0 }
            scale = 0
        }
        // Accumulate as a negative number so Int64.min stays representable.
        var value: Int64 = 0
        for digit in digits[..<kept] {
            guard let next = Self.timesTenMinus(value, Int64(digit)) else { return nil }
            value = next
        }
        // The leading digit is non-zero, so 10^19 or more cannot fit.
        guard scale < 19 else { return nil }
        for _ in 0..<scale {
            guard let next = Self.timesTenMinus(value, 0) else { return nil }
            value = next
        }
        if negative {
            // Floor of a negative non-integer is one further from zero.
            if droppedNonZero {
                let (next, overflow) = value.subtractingReportingOverflow(1)
                return overflow ? nil : next
            }
            return value
        }
        return value == Int64.min ? nil : -value
    }

    /// `value × 10 − digit`, or nil on overflow.
    private static func timesTenMinus(_ value: Int64, _ digit: Int64) -> Int64? {
        let (times, overflow) = value.multipliedReportingOverflow(by: 10)
        let (result, overflow2) = times.subtractingReportingOverflow(digit)
        return overflow || overflow2 ? nil : result
    }
}
