@preconcurrency import Glibc
import Testing

extension ResilienceTests {
    /// Connections that hold resources without joining, and connections past
    /// the limit, are refused with a clear error; members are unaffected.
    @Suite struct LimitsTests {
        @Test func connectionThatNeverJoinsIsClosedAfterTheJoinTimeoutWhileJoinedMembersStay() throws {
            let server = try MachatProcess(["-join-timeout", "500", "-handshake-timeout", "500"], tcpGateways: 1, wsGateways: 1)
            let member = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Ivy", room: "ops"), name: "Ivy")
            let started = MachatProcess.now()
            let silent = try LineClient(port: server.tcpPort)
            let partial = try LineClient(port: server.tcpPort)
            partial.send("{\"name\":\"Sl")  // a slowloris: a join that never completes
            let web = try WebSocketTestClient(port: server.wsPort)  // upgraded, never joins
            try #require(web.refusal == nil)
            let upgradedAt = MachatProcess.now()

            for client in [silent, partial] {
                let line = client.readLine(timeout: 5)
                #expect(line?.hasPrefix("error: no join received") == true, "got \(line ?? "nothing")")
                #expect(client.waitForClose(timeout: 3))
            }
            let tcpClosedAfter = MachatProcess.now() - started
            let webText = web.readText(timeout: 5)
            #expect(webText?.hasPrefix("error: no join received") == true, "got \(webText ?? "nothing")")
            #expect(web.waitForClose(timeout: 3))
            #expect(web.closeCode == 1008)
            let webClosedAfter = MachatProcess.now() - upgradedAt
            print(
                "join timeout 500 ms: TCP closed after \(Int(tcpClosedAfter * 1000)) ms, WebSocket \(Int(webClosedAfter * 1000)) ms after its upgrade"
            )
            #expect(tcpClosedAfter >= 0.45 && tcpClosedAfter < 3)
            #expect(webClosedAfter >= 0.45 && webClosedAfter < 4)

            // The member that joined in time, and idle past the timeout, still chats.
            #expect(!member.isClosed)
            member.send("still here")
            #expect(member.collect(timeout: 5) { $0.contains("Ivy:still here") })
            #expect(server.waitForLog("timeout; closing\"", count: 3, timeout: 5))
            for fd in [silent.fd, partial.fd, web.fd] { shutdown(fd.rawValue, Int32(SHUT_RDWR)) }
            #expect(Resilience.stop(server, after: [member]) == 0)
        }

        @Test func connectionPastTheLimitIsRefusedWithAnErrorAndMembersStay() throws {
            let server = try MachatProcess(["-max-connections", "3"], tcpGateways: 1, wsGateways: 0)
            var members: [Resilience.Member] = []
            for name in ["Uno", "Dos", "Tres"] {
                members.append(.tcp(try LineClient.joined(port: server.tcpPort, name: name, room: "full"), name: name))
            }
            try Resilience.synchronize(members)

            let fourth = try LineClient(port: server.tcpPort)
            let refusal = fourth.readLine(timeout: 5)
            #expect(refusal?.hasPrefix("error: ") == true && refusal?.contains("full") == true, "got \(refusal ?? "nothing")")
            #expect(fourth.waitForClose(timeout: 3))
            #expect(server.waitForLog("connection limit reached"))

            members[0].send("all three still here")
            for member in members {
                #expect(member.collect(timeout: 5) { $0.contains("Uno:all three still here") }, "\(member.name)")
                #expect(!member.isClosed)
            }

            // A freed slot is taken again.
            members.removeLast()  // closes its socket
            var admitted: LineClient?
            #expect(
                MachatProcess.wait(timeout: 5) {
                    admitted = try? LineClient.joined(port: server.tcpPort, name: "Cuatro", room: "full", timeout: 1)
                    return admitted != nil
                })
            #expect(members[0].collect(timeout: 5) { $0.contains { $0.hasPrefix("Cuatro:probe-") } })
            if let admitted { shutdown(admitted.fd.rawValue, Int32(SHUT_RDWR)) }
            #expect(Resilience.stop(server, after: members) == 0)
        }
    }
}
