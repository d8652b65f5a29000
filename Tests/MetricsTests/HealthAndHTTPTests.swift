@preconcurrency import Glibc
import Metrics
import Reactor
import Testing
import WebSocket

/// `/healthz`'s judgement and the endpoint's HTTP answers, without sockets.
@Suite struct HealthAndHTTPTests {
    private static func node(
        routerUp: Bool = true, backingUp: Bool = true, storeUp: Bool = true, linked: [Bool] = [true, true],
        up: [Bool] = [true, true]
    ) -> [ProcessSample] {
        let region = MetricsRegion.makePrivate(slots: 3)
        region.slot(0).gauge(.backingUp).set(backingUp)
        var samples = [
            ProcessSample(name: "machat", role: .supervisor),
            ProcessSample(name: "router", role: .router, cells: region.cells(ofSlot: 0), isUp: routerUp),
            ProcessSample(name: "store", role: .store, isUp: storeUp),
        ]
        for (index, name) in ["tcp-gateway-1", "ws-gateway-1"].enumerated() {
            region.slot(index + 1).gauge(.routerLinkUp).set(linked[index])
            samples.append(
                ProcessSample(
                    name: name, role: .gateway, protocolName: String(name.prefix { $0 != "-" }),
                    cells: region.cells(ofSlot: index + 1), isUp: up[index]))
        }
        return samples
    }

    @Test func aNodeWhoseProcessesRunAndAreLinkedIsHealthy() {
        let report = HealthReport(samples: Self.node(), stopping: false)
        #expect(report.isHealthy)
        #expect(report.body == "ok\n")
    }

    @Test func everyProblemIsNamed() {
        let report = HealthReport(
            samples: Self.node(routerUp: false, linked: [false, true], up: [true, false]), stopping: false)
        #expect(report.problems == ["router down", "tcp-gateway-1 not linked to the router", "ws-gateway-1 down"])
        #expect(report.body == "router down, tcp-gateway-1 not linked to the router, ws-gateway-1 down\n")
        #expect(HealthReport(samples: Self.node(), stopping: true).problems == ["machat is stopping"])
        let cutOff = HealthReport(samples: Self.node(backingUp: false, storeUp: false), stopping: false)
        #expect(cutOff.problems == ["router cannot commit to Redis or the history store", "store down"])
        // A router that is down is not also reported as cut off.
        #expect(HealthReport(samples: Self.node(routerUp: false, backingUp: false), stopping: false).problems == ["router down"])
    }

    private static func head(_ method: String, _ target: String) -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: target, version: HTTPVersion(major: 1, minor: 1), headers: [("Host", "x")])
    }

    private static func answer(_ method: String, _ target: String, healthy: Bool = true) -> String {
        let bytes = MetricsHTTPResponder.response(
            to: head(method, target), exposition: { Array("# HELP a b\n".utf8) },
            health: { HealthReport(problems: healthy ? [] : ["router down"]) })
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func metricsAnswersWithTheExpositionContentType() {
        #expect(
            Self.answer("GET", "/metrics")
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 11\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\n# HELP a b\n")
    }

    @Test func headGetsTheHeadersOfGetWithoutTheBody() {
        #expect(
            Self.answer("HEAD", "/metrics")
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 11\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\n")
        #expect(
            Self.answer("HEAD", "/healthz").hasSuffix("Content-Length: 3\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
        )
    }

    @Test func healthzSays200OkOr503WithTheReason() {
        #expect(Self.answer("GET", "/healthz").hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"))
        #expect(Self.answer("GET", "/healthz?verbose=1").hasSuffix("\r\n\r\nok\n"))
        let failing = Self.answer("GET", "/healthz", healthy: false)
        #expect(failing.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(failing.hasSuffix("\r\n\r\nrouter down\n"))
    }

    @Test func otherPathsAre404AndOtherMethods405() {
        #expect(Self.answer("GET", "/").hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(Self.answer("GET", "/metricsx").hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        let post = Self.answer("POST", "/metrics")
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(post.contains("\r\nAllow: GET, HEAD\r\n"))
    }

    @Test func procStatIsParsedFromTheLastParenthesis() {
        // A command name with spaces and parentheses, as proc(5) allows.
        let line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 123 10000000 321 18446744073709551615"
        let stats = ProcessStatistics.parse(ArraySlice(Array(line.utf8)), pageSize: 4096, ticksPerSecond: 100)
        #expect(stats == ProcessStatistics(residentBytes: 321 * 4096, cpuTicks: 300, ticksPerSecond: 100))
        #expect(ProcessStatistics.parse(ArraySlice(Array("1 (x) S".utf8)), pageSize: 4096, ticksPerSecond: 100) == nil)
        let own = ProcessStatistics.read(pid: getpid())
        #expect((own?.residentBytes ?? 0) > 1 << 20)
    }
}
