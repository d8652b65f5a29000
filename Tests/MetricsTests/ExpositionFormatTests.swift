@preconcurrency import Glibc
@testable import Metrics
import Testing

/// The Prometheus text format (0.0.4) as `MetricsExposition` writes it:
/// byte for byte, and accepted by promtool.
@Suite struct ExpositionFormatTests {
    /// The exposition of `sampleNode`: every family in table order, HELP and
    /// TYPE first, gateways labelled with process and protocol, histograms
    /// cumulative with `le`, `_sum` in seconds and `_count`.
    static let expected = """
        # HELP machat_connections Client connections open now.
        # TYPE machat_connections gauge
        machat_connections{process="tcp-gateway-1",protocol="tcp"} 3
        # HELP machat_connections_accepted_total Client connections accepted.
        # TYPE machat_connections_accepted_total counter
        machat_connections_accepted_total{process="tcp-gateway-1",protocol="tcp"} 4
        # HELP machat_joins_total Joins the router accepted (replays after a router restart are not counted).
        # TYPE machat_joins_total counter
        machat_joins_total{process="tcp-gateway-1",protocol="tcp"} 3
        # HELP machat_join_refusals_total Connections refused instead of joined, by reason.
        # TYPE machat_join_refusals_total counter
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="invalid_join"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="name_taken"} 1
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="full"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="timeout"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="busy"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="draining"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="other"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="unauthorized"} 0
        machat_join_refusals_total{process="tcp-gateway-1",protocol="tcp",reason="address_limit"} 0
        # HELP machat_lines_in_total Lines from clients relayed to the router.
        # TYPE machat_lines_in_total counter
        machat_lines_in_total{process="tcp-gateway-1",protocol="tcp"} 40
        # HELP machat_lines_not_accepted_total Lines refused with an error because the held-line bounds were reached.
        # TYPE machat_lines_not_accepted_total counter
        machat_lines_not_accepted_total{process="tcp-gateway-1",protocol="tcp"} 0
        # HELP machat_deliveries_total Live lines written to members, one per recipient.
        # TYPE machat_deliveries_total counter
        machat_deliveries_total{process="tcp-gateway-1",protocol="tcp"} 120
        # HELP machat_client_received_bytes_total Bytes read from client sockets.
        # TYPE machat_client_received_bytes_total counter
        machat_client_received_bytes_total{process="tcp-gateway-1",protocol="tcp"} 1000
        # HELP machat_client_sent_bytes_total Bytes written to client sockets.
        # TYPE machat_client_sent_bytes_total counter
        machat_client_sent_bytes_total{process="tcp-gateway-1",protocol="tcp"} 3000
        # HELP machat_slow_consumer_disconnects_total Clients disconnected because their unsent bytes passed -max-outbound.
        # TYPE machat_slow_consumer_disconnects_total counter
        machat_slow_consumer_disconnects_total{process="tcp-gateway-1",protocol="tcp"} 0
        # HELP machat_rate_limited_total Times a client was paused for sending faster than -rate/-burst.
        # TYPE machat_rate_limited_total counter
        machat_rate_limited_total{process="tcp-gateway-1",protocol="tcp"} 0
        # HELP machat_held_bytes Bytes of frames sent to the router and not yet acknowledged (the held-frame log).
        # TYPE machat_held_bytes gauge
        machat_held_bytes{process="tcp-gateway-1",protocol="tcp"} 0
        # HELP machat_router_link_up 1 while the gateway's link to the router is up, else 0.
        # TYPE machat_router_link_up gauge
        machat_router_link_up{process="tcp-gateway-1",protocol="tcp"} 1
        # HELP machat_delivery_latency_seconds Time from the router ordering a line to its gateway writing it (wall clocks, 1 ms resolution).
        # TYPE machat_delivery_latency_seconds histogram
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.0005"} 1
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.001"} 2
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.0025"} 3
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.005"} 3
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.01"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.025"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.05"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.1"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.25"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="0.5"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="1"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="2.5"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="5"} 4
        machat_delivery_latency_seconds_bucket{process="tcp-gateway-1",protocol="tcp",le="+Inf"} 5
        machat_delivery_latency_seconds_sum{process="tcp-gateway-1",protocol="tcp"} 7.01
        machat_delivery_latency_seconds_count{process="tcp-gateway-1",protocol="tcp"} 5
        # HELP machat_rooms Rooms with members.
        # TYPE machat_rooms gauge
        machat_rooms{process="router"} 2
        # HELP machat_members Members in all rooms.
        # TYPE machat_members gauge
        machat_members{process="router"} 3
        # HELP machat_history_lines Lines held in the rooms' history.
        # TYPE machat_history_lines gauge
        machat_history_lines{process="router"} 40
        # HELP machat_history_bytes Memory of the rooms' history, in bytes.
        # TYPE machat_history_bytes gauge
        machat_history_bytes{process="router"} 8192
        # HELP machat_lines_ordered_total Lines the router's engine ordered.
        # TYPE machat_lines_ordered_total counter
        machat_lines_ordered_total{process="router"} 40
        # HELP machat_backing_up 1 while the service the router keeps rooms in (every Redis shard with -redis, the history store with -data-dir) is reachable and committing, else 0; always 1 with neither.
        # TYPE machat_backing_up gauge
        machat_backing_up{process="router"} 1
        # HELP machat_backing_round_trip_seconds Time from the router sending a batch of operations to Redis or the history store to its answer.
        # TYPE machat_backing_round_trip_seconds histogram
        machat_backing_round_trip_seconds_bucket{process="router",le="0.00005"} 1
        machat_backing_round_trip_seconds_bucket{process="router",le="0.0001"} 1
        machat_backing_round_trip_seconds_bucket{process="router",le="0.00025"} 1
        machat_backing_round_trip_seconds_bucket{process="router",le="0.0005"} 2
        machat_backing_round_trip_seconds_bucket{process="router",le="0.001"} 2
        machat_backing_round_trip_seconds_bucket{process="router",le="0.0025"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.005"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.01"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.025"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.05"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.1"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.25"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="0.5"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="1"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="2.5"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="5"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="10"} 3
        machat_backing_round_trip_seconds_bucket{process="router",le="+Inf"} 4
        machat_backing_round_trip_seconds_sum{process="router"} 20.00154
        machat_backing_round_trip_seconds_count{process="router"} 4
        # HELP machat_child_up 1 while the child process runs, else 0.
        # TYPE machat_child_up gauge
        machat_child_up{process="router"} 1
        machat_child_up{process="tcp-gateway-1"} 1
        machat_child_up{process="store"} 1
        # HELP machat_child_restarts_total Restarts of a child process after it exited unexpectedly.
        # TYPE machat_child_restarts_total counter
        machat_child_restarts_total{process="router"} 1
        machat_child_restarts_total{process="tcp-gateway-1"} 0
        machat_child_restarts_total{process="store"} 0
        # HELP process_resident_memory_bytes Resident memory size in bytes.
        # TYPE process_resident_memory_bytes gauge
        process_resident_memory_bytes{process="machat"} 12582912
        process_resident_memory_bytes{process="router"} 8388608
        # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
        # TYPE process_cpu_seconds_total counter
        process_cpu_seconds_total{process="machat"} 1.5
        process_cpu_seconds_total{process="router"} 0.07

        """

    @Test func aNodeIsExposedByteForByte() {
        let region = MetricsRegion.makePrivate(slots: 2)
        let text = String(decoding: MetricsExposition.render(sampleNode(region: region)), as: UTF8.self)
        #expect(text == Self.expected)
        if text != Self.expected {
            for (got, want) in zip(text.split(separator: "\n"), Self.expected.split(separator: "\n")) where got != want {
                Issue.record("first difference: got \(got), want \(want)")
                break
            }
        }
    }

    @Test func promtoolAcceptsTheExpositionWithoutWarnings() throws {
        let region = MetricsRegion.makePrivate(slots: 2)
        let result = try promtool(["check", "metrics"], input: MetricsExposition.render(sampleNode(region: region)))
        #expect(result.status == 0, "promtool: \(result.output)")
        #expect(result.output.isEmpty, "promtool warnings: \(result.output)")
    }

    @Test func histogramBoundsAreInclusiveAndTheRestGoesToInfinity() {
        let region = MetricsRegion.makePrivate()
        let histogram = region.slot(0).histogram(.deliveryLatency)
        // 1 ms is at most the 0.001 s bound; 0 ms is within 0.0005 s; 5000 ms is the last bound.
        for milliseconds: UInt64 in [0, 1, 2, 3, 5000, 5001] { histogram.observe(milliseconds) }
        let cells = region.cells(ofSlot: 0)
        let first = MetricsLayout.offset(of: .deliveryLatency)
        let buckets = Array(cells[first..<(first + 14)])
        #expect(buckets == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        #expect(cells[first + 14] == 10007, "the sum in milliseconds")
        #expect(histogram.observationCount == 6)
    }

    @Test func numbersArePrintedExactlyWithoutExponents() {
        #expect(MetricsExposition.decimal(500_000, scale: 1_000_000_000) == "0.0005")
        #expect(MetricsExposition.decimal(1_000_000_000, scale: 1_000_000_000) == "1")
        #expect(MetricsExposition.decimal(2_500_000_000, scale: 1_000_000_000) == "2.5")
        #expect(MetricsExposition.seconds(1234, unit: 1_000_000) == "1.234")
        #expect(MetricsExposition.seconds(0, unit: 1_000_000) == "0")
        #expect(MetricsExposition.ratio(1234, 100) == "12.34")
        #expect(MetricsExposition.ratio(5, 100) == "0.05")
        #expect(MetricsExposition.ratio(3, 64) == "0.046875")
    }

    @Test func labelValuesAndHelpAreEscaped() {
        #expect(MetricsExposition.escapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd")
        #expect(MetricsExposition.escapeHelp("a\\b\"c\nd") == "a\\\\b\"c\\nd")
        #expect(MetricsExposition.labelSet([("process", "x\"y")]) == "{process=\"x\\\"y\"}")
        #expect(MetricsExposition.labelSet([]) == "")
    }

    @Test func gaugesArePrintedAsSignedNumbers() {
        let region = MetricsRegion.makePrivate()
        region.slot(0).gauge(.connections).add(-2)
        let sample = ProcessSample(name: "tcp-gateway-1", role: .gateway, protocolName: "tcp", cells: region.cells(ofSlot: 0))
        let text = String(decoding: MetricsExposition.render([sample]), as: UTF8.self)
        #expect(text.contains("machat_connections{process=\"tcp-gateway-1\",protocol=\"tcp\"} -2\n"))
    }

    @Test func everyFamilyFollowsThePrometheusNamingConventions() {
        var names: Set<String> = []
        for metric in Metric.allCases {
            let family = metric.family
            #expect(names.insert(family.name).inserted, "\(family.name) twice")
            #expect(family.name.hasPrefix("machat_") || family.name.hasPrefix("process_"))
            #expect(family.name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(family.name)")
            #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
            #expect(!family.help.isEmpty)
        }
        #expect(MetricsLayout.cellsPerSlot % 8 == 0, "slots are whole cache lines")
    }
}
