@preconcurrency import Glibc
import Metrics
import Reactor
import Testing

/// The endpoint over a real loopback socket, its loop driven by the test.
@Suite struct MetricsServerTests {
    final class Node: MetricsSource {
        let region = MetricsRegion.makePrivate(slots: 1)
        var isStopping = false
        init() { region.slot(0).gauge(.backingUp).set(true) }
        func processSamples() -> [ProcessSample] {
            [ProcessSample(name: "router", role: .router, cells: region.cells(ofSlot: 0))]
        }
    }

    /// Sends `request` and turns the loop until the server closes; what came back.
    private static func exchange(_ request: [UInt8], server: MetricsServer, loop: EventLoop, timeout: Double = 5) throws -> String
    {
        let fd = try Socket.connectTCP(server.address)
        defer { fd.close() }
        var sent = 0
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Double(MonotonicClock.now()) / 1e9 + timeout
        while Double(MonotonicClock.now()) / 1e9 < deadline {
            if sent < request.count {
                let n = request.withUnsafeBytes {
                    Glibc.send(fd.rawValue, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                if n > 0 { sent += n }
            }
            loop.runOnce(maxWaitMilliseconds: 10)
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                received += buffer[0..<n]
            } else if n == 0 {
                return String(decoding: received, as: UTF8.self)
            }
        }
        throw MetricsTestError(description: "no close within \(timeout) s; got \(String(decoding: received, as: UTF8.self))")
    }

    @Test func aScrapeOverASocketGetsTheExpositionAndAClose() throws {
        let loop = try EventLoop()
        let node = Node()
        RouterMetrics(slot: node.region.slot(0)).rooms.set(5)
        let server = try MetricsServer(address: try SocketAddress.resolve("127.0.0.1:0")[0], loop: loop, source: node)
        #expect(server.address.port != 0)
        // The request arrives in pieces, as any client may send it.
        let answer = try Self.exchange(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8), server: server, loop: loop)
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(
            answer.contains(
                "\r\n\r\n# HELP machat_rooms Rooms with members.\n# TYPE machat_rooms gauge\nmachat_rooms{process=\"router\"} 5\n"
            ))
    }

    @Test func anOversizedRequestHeadIsRefusedWith431() throws {
        let loop = try EventLoop()
        let node = Node()
        let server = try MetricsServer(address: try SocketAddress.resolve("127.0.0.1:0")[0], loop: loop, source: node)
        let huge = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
        let answer = try Self.exchange(Array(huge.utf8), server: server, loop: loop)
        #expect(answer.hasPrefix("HTTP/1.1 431 "))
    }

    @Test func healthzFailsOnceTheNodeIsStopping() throws {
        let loop = try EventLoop()
        let node = Node()
        node.isStopping = true
        let server = try MetricsServer(address: try SocketAddress.resolve("127.0.0.1:0")[0], loop: loop, source: node)
        let answer = try Self.exchange(Array("GET /healthz HTTP/1.0\r\n\r\n".utf8), server: server, loop: loop)
        #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(answer.hasSuffix("\r\n\r\nmachat is stopping\n"))
    }
}

struct MetricsTestError: Error, CustomStringConvertible {
    let description: String
}
