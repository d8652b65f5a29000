/// Number formatting for the report and progress lines, without Foundation.
enum Format {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let negative = value < 0
        let scaled = Int64((abs(value) * scale).rounded())
        var text = String(scaled / Int64(scale))
        if decimals > 0 {
            var fraction = String(scaled % Int64(scale))
            while fraction.count < decimals { fraction = "0" + fraction }
            text += "." + fraction
        }
        return negative ? "-" + text : text
    }

    /// An integer with thousands separators: `1,652,310`.
    static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return value < 0 ? "-" + text : text
    }

    /// A rate with thousands separators and no decimals.
    static func rate(_ value: Double) -> String {
        count(Int(value.isFinite ? value.rounded() : 0))
    }

    /// Bytes as MiB with one decimal.
    static func mebibytes(_ bytes: Int) -> String {
        fixed(Double(bytes) / 1_048_576, 1) + " MiB"
    }
}
