import ChatClientKit
/// The report as a human-readable summary table and as one JSON line.
extension BenchReport {
    /// The summary table for stdout.
    func table() -> String {
        var lines: [String] = []
        var configLine = "machat-bench \(mode) mix=\(mix) target=\(target) rooms=\(rooms) clients/room=\(clientsPerRoom)"
        configLine += " senders/room=\(sendersPerRoom) size=\(size)"
        if window > 0 { configLine += " window=\(window)" }
        if rate > 0 { configLine += " rate=\(Format.fixed(rate, 1))/s" }
        configLine += " duration=\(Format.fixed(durationSeconds, 2))s"
        lines.append(configLine)
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(to: 22) + value)
        }
        row("connections", "\(Format.count(connected))/\(Format.count(connections)) joined, \(connectFailures) failed")
        row("connect", "\(Format.fixed(connectSeconds, 3)) s (\(Format.rate(connectPerSecond)) conn/s)")
        row(
            "join barrier",
            "\(Format.fixed(joinSeconds, 3)) s after start, unready rooms \(unreadyRooms) (members \(unreadyMembers))")
        if mode != "idle" {
            row("deliveries/s", Format.rate(deliveredPerSecond))
            row("sent/s", Format.rate(sentPerSecond))
            row(
                "sent / expected",
                "\(Format.count(sent)) / \(Format.count(expected)) (delivered \(Format.count(delivered)), drain \(Format.fixed(drainSeconds, 3)) s)"
            )
            row(
                "latency ms",
                "p50 \(Format.fixed(latency.p50, 3))  p90 \(Format.fixed(latency.p90, 3))  p99 \(Format.fixed(latency.p99, 3))  "
                    + "p99.9 \(Format.fixed(latency.p999, 3))  max \(Format.fixed(latency.max, 3))")
            row(
                "lost",
                "\(lost)   duplicates \(duplicates)   out-of-order \(outOfOrder)   order-mismatch rooms \(orderMismatchRooms)")
            if foreign + malformed + emptyLines > 0 {
                row("unexpected lines", "foreign \(foreign)  malformed \(malformed)  empty \(emptyLines)")
            }
        }
        if let rssBase, let rssPeak {
            var memory = "base \(Format.mebibytes(rssBase))  peak \(Format.mebibytes(rssPeak))"
            if let rssFinal { memory += "  final \(Format.mebibytes(rssFinal))" }
            row("server RSS", memory)
            if let perConnection = bytesPerConnection {
                var text = "\(Format.rate(perConnection)) bytes (peak - base) / connections"
                if let final = finalBytesPerConnection { text += "; \(Format.rate(final)) at the end" }
                row("server per connection", text)
            }
        }
        var cpu = "bench \(Format.fixed(benchCPUPercent, 1))%  machine \(Format.fixed(machineCPUPercent, 1))% (100% = one core)"
        if let serverCPUPercent { cpu = "server \(Format.fixed(serverCPUPercent, 1))%  " + cpu }
        row("cpu", cpu)
        row("errors", errors == 0 ? "0" : "\(errors)  \(errorSample ?? "")")
        return lines.joined(separator: "\n")
    }

    /// One JSON object on one line, keys as in the loadgen's output.
    func json() -> String {
        var fields: [(String, String)] = [
            ("tool", JoinMessage.quoted("machat-bench")), ("mix", JoinMessage.quoted(mix)),
            ("mode", JoinMessage.quoted(mode)), ("addr", JoinMessage.quoted(target)),
            ("rooms", "\(rooms)"), ("clients_per_room", "\(clientsPerRoom)"), ("senders_per_room", "\(sendersPerRoom)"),
            ("size", "\(size)"),
        ]
        if window > 0 { fields.append(("window", "\(window)")) }
        if rate > 0 { fields.append(("rate", Format.fixed(rate, 3))) }
        fields += [
            ("duration_s", Format.fixed(durationSeconds, 3)), ("connections", "\(connections)"),
            ("connected", "\(connected)"), ("connect_failures", "\(connectFailures)"),
            ("connect_s", Format.fixed(connectSeconds, 3)), ("connect_per_s", Format.fixed(connectPerSecond, 0)),
            ("join_s", Format.fixed(joinSeconds, 3)), ("unready_rooms", "\(unreadyRooms)"),
            ("unready_members", "\(unreadyMembers)"), ("sent", "\(sent)"), ("sent_per_s", Format.fixed(sentPerSecond, 0)),
            ("expected", "\(expected)"), ("delivered", "\(delivered)"),
            ("delivered_per_s", Format.fixed(deliveredPerSecond, 0)), ("lost", "\(lost)"),
            ("out_of_order", "\(outOfOrder)"), ("duplicates", "\(duplicates)"),
            ("order_mismatch_rooms", "\(orderMismatchRooms)"), ("foreign", "\(foreign)"),
            ("malformed", "\(malformed)"), ("empty_lines", "\(emptyLines)"), ("drain_s", Format.fixed(drainSeconds, 3)),
            ("lat_p50_ms", Format.fixed(latency.p50, 3)), ("lat_p90_ms", Format.fixed(latency.p90, 3)),
            ("lat_p99_ms", Format.fixed(latency.p99, 3)), ("lat_p999_ms", Format.fixed(latency.p999, 3)),
            ("lat_max_ms", Format.fixed(latency.max, 3)), ("errors", "\(errors)"),
        ]
        if let errorSample { fields.append(("error_sample", JoinMessage.quoted(errorSample))) }
        if let rssBase { fields.append(("rss_base_bytes", "\(rssBase)")) }
        if let rssPeak { fields.append(("rss_peak_bytes", "\(rssPeak)")) }
        if let rssFinal { fields.append(("rss_final_bytes", "\(rssFinal)")) }
        if let perConnection = bytesPerConnection { fields.append(("peak_bytes_per_conn", Format.fixed(perConnection, 0))) }
        if let final = finalBytesPerConnection { fields.append(("bytes_per_conn", Format.fixed(final, 0))) }
        if let serverCPUPercent { fields.append(("server_cpu_pct", Format.fixed(serverCPUPercent, 1))) }
        fields += [
            ("bench_cpu_pct", Format.fixed(benchCPUPercent, 1)), ("machine_cpu_pct", Format.fixed(machineCPUPercent, 1)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

extension String {
    /// The string padded with spaces to at least `width` characters.
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
