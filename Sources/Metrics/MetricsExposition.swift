/// The Prometheus text exposition format, version 0.0.4: for every family of
/// `Metric` that has samples, a HELP and a TYPE line, then its samples, one
/// per line (histograms as cumulative `_bucket` series with `le`, `_sum` and
/// `_count`).
public enum MetricsExposition {
    /// The Content-Type of a scrape's answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The whole exposition for these processes.
    public static func render(_ samples: [ProcessSample]) -> [UInt8] {
        var text = ""
        text.reserveCapacity(16 * 1024)
        for metric in Metric.allCases {
            var lines = ""
            appendSamples(of: metric, samples, into: &lines)
            guard !lines.isEmpty else { continue }
            let family = metric.family
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.typeName)\n"
            text += lines
        }
        return Array(text.utf8)
    }

    private static func appendSamples(of metric: Metric, _ samples: [ProcessSample], into text: inout String) {
        let family = metric.family
        switch family.source {
        case .slot(let role):
            for sample in samples where sample.role == role && sample.cells.count >= MetricsLayout.cellsPerSlot {
                var labels = [("process", sample.name)]
                if let name = sample.protocolName { labels.append(("protocol", name)) }
                let values = family.label?.values ?? [""]
                for (index, value) in values.enumerated() {
                    var series = labels
                    if let label = family.label { series.append((label.name, value)) }
                    let offset = MetricsLayout.offset(of: metric) + index * family.cellsPerSeries
                    appendSeries(family, cells: sample.cells, at: offset, labels: series, into: &text)
                }
            }
        case .supervisor(let value):
            for sample in samples {
                guard let number = supervisorValue(value, of: sample) else { continue }
                text += "\(family.name)\(labelSet([("process", sample.name)])) \(number)\n"
            }
        }
    }

    private static func appendSeries(
        _ family: MetricFamily, cells: [UInt64], at offset: Int, labels: [(String, String)], into text: inout String
    ) {
        switch family.kind {
        case .counter:
            text += "\(family.name)\(labelSet(labels)) \(cells[offset])\n"
        case .gauge:
            text += "\(family.name)\(labelSet(labels)) \(Int64(bitPattern: cells[offset]))\n"
        case .histogram(let buckets):
            var cumulative: UInt64 = 0
            for (index, bound) in buckets.boundsNanoseconds.enumerated() {
                cumulative &+= cells[offset + index]
                let le = decimal(bound, scale: 1_000_000_000)
                text += "\(family.name)_bucket\(labelSet(labels + [("le", le)])) \(cumulative)\n"
            }
            let count = buckets.boundsNanoseconds.count
            cumulative &+= cells[offset + count]
            text += "\(family.name)_bucket\(labelSet(labels + [("le", "+Inf")])) \(cumulative)\n"
            text += "\(family.name)_sum\(labelSet(labels)) \(seconds(cells[offset + count + 1], unit: buckets.unitNanoseconds))\n"
            text += "\(family.name)_count\(labelSet(labels)) \(cumulative)\n"
        }
    }

    private static func supervisorValue(_ value: ProcessValue, of sample: ProcessSample) -> String? {
        switch value {
        case .up:
            return sample.role == .supervisor ? nil : (sample.isUp ? "1" : "0")
        case .restarts:
            return sample.role == .supervisor ? nil : "\(sample.restarts)"
        case .residentBytes:
            return sample.statistics.map { "\($0.residentBytes)" }
        case .cpuSeconds:
            return sample.statistics.map { ratio($0.cpuTicks, $0.ticksPerSecond) }
        }
    }

    /// `{a="x",b="y"}`, or nothing without labels.
    static func labelSet(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        var out = ""
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A sum in observed units as seconds, exactly.
    static func seconds(_ value: UInt64, unit nanoseconds: UInt64) -> String {
        if 1_000_000_000 % nanoseconds == 0 { return decimal(value, scale: 1_000_000_000 / nanoseconds) }
        return ratio(value &* nanoseconds, 1_000_000_000)
    }

    /// `numerator / denominator` exactly when the denominator is a power of
    /// ten (as clock ticks are on Linux), otherwise as a Double.
    static func ratio(_ numerator: UInt64, _ denominator: UInt64) -> String {
        var power: UInt64 = 1
        while power < denominator && power <= UInt64.max / 10 { power *= 10 }
        if power == denominator { return decimal(numerator, scale: denominator) }
        return "\(Double(numerator) / Double(denominator))"
    }

    /// `value / scale` in decimal, for a power-of-ten `scale`: no exponent,
    /// no trailing zeros (`0.0005`, `1`, `2.5`).
    static func decimal(_ value: UInt64, scale: UInt64) -> String {
        let whole = value / scale
        var fraction = value % scale
        guard fraction != 0 else { return "\(whole)" }
        var digits = 0
        var s = scale
        while s > 1 {
            s /= 10
            digits += 1
        }
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
