@preconcurrency import Glibc
import Reactor
import Testing

/// `machat -metrics`: the node's counters over a real socket, exact after
/// known traffic, valid for promtool, and `/healthz` following the children.
@Suite(.ownThread) struct MetricsEndpointTests {
    private static let gateway = "{process=\"tcp-gateway-1\",protocol=\"tcp\"}"

    /// Scrapes until `condition` holds for a scrape (counters may be a few
    /// increments stale, the router's gauges up to a second); the last scrape.
    private static func scrape(
        _ port: UInt16, timeout: Double = 5, until condition: (MetricsScrape) -> Bool
    ) throws -> MetricsScrape {
        var last = try MetricsScrape.fetch(port: port)
        _ = MachatProcess.wait(timeout: timeout) {
            if condition(last) { return true }
            last = (try? MetricsScrape.fetch(port: port)) ?? last
            return false
        }
        return last
    }

    @Test func knownLinesGiveExactCountersAndPromtoolAcceptsTheExposition() throws {
        let server = try MachatProcess(["-metrics", "127.0.0.1:0"])
        let port = try #require(MetricsScrape.port(in: server.log), "no metrics port in the log:\n\(server.log)")
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "dev")
        #expect(mina.readLine()?.hasPrefix("Bo:probe-") == true)
        // A connection's sent bytes are counted just after its send returns,
        // so a client may read a probe before it is counted: wait for the
        // three probe deliveries (Mina's to Mina, Bo's to both) and for the
        // byte counter to hold still between two scrapes.
        var before = try Self.scrape(port) {
            $0.value("machat_joins_total\(Self.gateway)") == 2 && $0.value("machat_deliveries_total\(Self.gateway)") == 3
        }
        _ = MachatProcess.wait(timeout: 5) {
            guard let again = try? MetricsScrape.fetch(port: port) else { return false }
            defer { before = again }
            return again.value("machat_client_sent_bytes_total\(Self.gateway)")
                == before.value("machat_client_sent_bytes_total\(Self.gateway)")
        }
        #expect(before.value("machat_deliveries_total\(Self.gateway)") == 3)
        #expect(before.value("machat_joins_total\(Self.gateway)") == 2)
        let linesIn = try #require(before.value("machat_lines_in_total\(Self.gateway)"))
        let deliveries = try #require(before.value("machat_deliveries_total\(Self.gateway)"))
        let received = try #require(before.value("machat_client_received_bytes_total\(Self.gateway)"))
        let sent = try #require(before.value("machat_client_sent_bytes_total\(Self.gateway)"))
        let latencyCount = try #require(before.value("machat_delivery_latency_seconds_count\(Self.gateway)"))

        mina.send("one\ntwo\nthree\n")
        for client in [mina, bo] {
            #expect(client.readLines(3) == ["Mina:one", "Mina:two", "Mina:three"])
        }
        let after = try Self.scrape(port) {
            $0.value("machat_deliveries_total\(Self.gateway)") == deliveries + 6
                && $0.value("machat_client_sent_bytes_total\(Self.gateway)") == sent + 58
        }
        #expect(after.value("machat_lines_in_total\(Self.gateway)") == linesIn + 3)
        #expect(after.value("machat_deliveries_total\(Self.gateway)") == deliveries + 6)
        #expect(after.value("machat_client_received_bytes_total\(Self.gateway)") == received + 14, "\"one\\ntwo\\nthree\\n\"")
        #expect(
            after.value("machat_client_sent_bytes_total\(Self.gateway)") == sent + 58,
            "2 × \"Mina:one\\nMina:two\\nMina:three\\n\"")
        #expect(after.value("machat_delivery_latency_seconds_count\(Self.gateway)") == latencyCount + 3, "once per delivery")
        #expect(after.value("machat_connections\(Self.gateway)") == 2)
        #expect(after.value("machat_router_link_up\(Self.gateway)") == 1)
        #expect(after.value("machat_router_link_up{process=\"ws-gateway-1\",protocol=\"ws\"}") == 1)
        #expect(after.value("machat_child_up{process=\"router\"}") == 1)
        #expect((after.value("process_resident_memory_bytes{process=\"router\"}") ?? 0) > 1_000_000)

        // A taken name is refused and counted by reason.
        let again = try LineClient(port: server.tcpPort, name: "Mina", room: "dev")
        #expect(again.readLine()?.hasPrefix("error: name \"Mina\" is already taken") == true)
        let refused = try Self.scrape(port) {
            $0.value("machat_join_refusals_total{process=\"tcp-gateway-1\",protocol=\"tcp\",reason=\"name_taken\"}") == 1
        }
        #expect(
            refused.value("machat_join_refusals_total{process=\"tcp-gateway-1\",protocol=\"tcp\",reason=\"name_taken\"}") == 1)
        // The router's gauges are refreshed once a second.
        let router = try Self.scrape(port) {
            $0.value("machat_members{process=\"router\"}") == 2
                && ($0.value("machat_history_lines{process=\"router\"}") ?? 0) >= 5
        }
        #expect(router.value("machat_rooms{process=\"router\"}") == 1)
        #expect(router.value("machat_members{process=\"router\"}") == 2)
        #expect((router.value("machat_history_lines{process=\"router\"}") ?? 0) >= 5, "two probes and three lines")

        #expect(router.status == 200)
        #expect(router.head.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(router.head.contains("\r\nConnection: close"))
        let lint = try MetricsScrape.promtool(["check", "metrics"], input: router.body)
        #expect(lint.status == 0, "promtool: \(lint.output)")
        #expect(lint.output.isEmpty, "promtool warnings: \(lint.output)")
        #expect(server.stop() == 0)
    }

    @Test func healthzFollowsTheChildrenAndTheirRouterLinks() throws {
        let server = try MachatProcess(["-metrics", "127.0.0.1:0"])
        let port = try #require(MetricsScrape.port(in: server.log))
        // The router logs "gateway ready" a moment before the gateway hears WELCOME.
        var healthy = try MetricsScrape.fetch(port: port, path: "/healthz")
        _ = MachatProcess.wait(timeout: 5) {
            healthy = (try? MetricsScrape.fetch(port: port, path: "/healthz")) ?? healthy
            return healthy.status == 200
        }
        #expect(healthy.status == 200)
        #expect(healthy.body == "ok\n")
        let head = try MetricsScrape.fetch(port: port, method: "HEAD", path: "/healthz")
        #expect(head.status == 200 && head.body.isEmpty && head.head.contains("Content-Length: 3"))
        #expect(try MetricsScrape.fetch(port: port, path: "/").status == 404)

        // Kill the router three times in a row: machat's backoff grows
        // (20 ms, 250 ms, 500 ms), which leaves a window with no router.
        var routers: [pid_t] = []
        for _ in 0..<3 {
            guard
                MachatProcess.wait(
                    timeout: 10, { !server.children(named: "machat-router").filter { !routers.contains($0) }.isEmpty })
            else { break }
            let router = server.children(named: "machat-router").first { !routers.contains($0) }!
            routers.append(router)
            kill(router, SIGKILL)
        }
        #expect(routers.count == 3)
        let expected = "router down, tcp-gateway-1 not linked to the router, ws-gateway-1 not linked to the router\n"
        var unhealthy = healthy
        _ = MachatProcess.wait(timeout: 5) {
            unhealthy = (try? MetricsScrape.fetch(port: port, path: "/healthz")) ?? unhealthy
            return unhealthy.body == expected
        }
        #expect(unhealthy.status == 503)
        #expect(unhealthy.body == expected)
        let back = try Self.scrape(port, timeout: 10) { _ in
            (try? MetricsScrape.fetch(port: port, path: "/healthz").status) == 200
        }
        #expect(back.value("machat_child_restarts_total{process=\"router\"}") == 3)
        #expect(back.value("machat_child_restarts_total{process=\"tcp-gateway-1\"}") == 0)
        #expect(try MetricsScrape.fetch(port: port, path: "/healthz").body == "ok\n")

        // A killed gateway: down until machat has restarted it, and counted.
        let tcp = try #require(server.children(named: "machat-tcp-gateway").first)
        kill(tcp, SIGKILL)
        let restarted = try Self.scrape(port, timeout: 10) {
            $0.value("machat_child_restarts_total{process=\"tcp-gateway-1\"}") == 1
                && $0.value("machat_router_link_up\(Self.gateway)") == 1
        }
        #expect(restarted.value("machat_child_restarts_total{process=\"tcp-gateway-1\"}") == 1)
        #expect(restarted.value("machat_child_up{process=\"tcp-gateway-1\"}") == 1)
        #expect(server.stop() == 0)
    }
}
