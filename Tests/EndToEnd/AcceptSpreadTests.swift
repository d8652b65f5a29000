@preconcurrency import Glibc
import Foundation
import Testing

/// Several gateways on one listening socket share the connections evenly,
/// and none refuses a client while a sibling has room.
@Suite(.ownThread) struct AcceptSpreadTests {
    /// Established connections on `port` held by each process, from
    /// /proc/net/tcp (local port and state) and each process's descriptors.
    static func connections(on port: UInt16, of pids: [pid_t]) -> [Int] {
        var established: Set<String> = []
        for line in MachatProcess.read("/proc/net/tcp").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[3] == "01", let local = fields[1].split(separator: ":").last,
                UInt16(local, radix: 16) == port
            else { continue }
            established.insert(String(fields[9]))
        }
        return pids.map { pid in
            var count = 0
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(entry)"),
                    target.hasPrefix("socket:[")
                else { continue }
                if established.contains(String(target.dropFirst(8).dropLast())) { count += 1 }
            }
            return count
        }
    }

    /// Connects `count` members, `gapMicroseconds` apart, then checks every
    /// one was admitted (its own line comes back).
    private static func arrive(_ server: MachatProcess, count: Int, gapMicroseconds: UInt32, room: String) throws -> [LineClient]
    {
        var clients: [LineClient] = []
        for index in 0..<count {
            clients.append(try LineClient(port: server.tcpPort, name: "m\(index)", room: room))
            if gapMicroseconds > 0 { usleep(gapMicroseconds) }
        }
        for (index, client) in clients.enumerated() {
            client.send("here \(index)\n")
            let deadline = MachatProcess.now() + 10
            var admitted = false
            while let line = client.readLine(timeout: max(0, deadline - MachatProcess.now())) {
                if line == "m\(index):here \(index)" {
                    admitted = true
                    break
                }
                if line.hasPrefix("error:") {
                    Issue.record("m\(index) was refused: \(line)")
                    break
                }
            }
            #expect(admitted, "m\(index) was not admitted")
        }
        return clients
    }

    @Test func nobodyIsRefusedWhileASiblingHasRoom() throws {
        // The reported case, pushed to 148 of 150 places: three gateways of
        // 50, clients 10 ms apart.
        let server = try MachatProcess(["-max-connections", "50"], tcpGateways: 3, wsGateways: 0)
        var clients = try Self.arrive(server, count: 148, gapMicroseconds: 10_000, room: "full")
        let gateways = server.children(named: "machat-tcp-gateway")
        let spread = Self.connections(on: server.tcpPort, of: gateways)
        print("accept spread: 148 clients 10 ms apart over 3 gateways of 50: \(spread)")
        #expect(spread.reduce(0, +) == clients.count)
        #expect(spread.allSatisfy { $0 <= 50 })
        #expect(!server.log.contains("connection limit reached"))
        // Two more fill every place; the next is refused, with the error.
        clients += try Self.arrive(server, count: 2, gapMicroseconds: 0, room: "more")
        let refused = try LineClient(port: server.tcpPort)
        #expect(refused.readLine()?.hasPrefix("error: server is full") == true)
        #expect(server.stop() == 0)
    }

    @Test(arguments: [10_000, 0] as [UInt32])
    func slowArrivalsAndBurstsLandWithinTwentyPercentOfEven(gap: UInt32) throws {
        let server = try MachatProcess([], tcpGateways: 3, wsGateways: 0)
        let clients = try Self.arrive(server, count: 120, gapMicroseconds: gap, room: "spread")
        let spread = Self.connections(on: server.tcpPort, of: server.children(named: "machat-tcp-gateway"))
        print("accept spread: 120 clients \(gap == 0 ? "in a burst" : "\(gap / 1000) ms apart") over 3 gateways: \(spread)")
        #expect(spread.reduce(0, +) == clients.count)
        #expect(spread.allSatisfy { $0 >= 32 && $0 <= 48 }, "\(spread)")
        #expect(server.stop() == 0)
    }
}
