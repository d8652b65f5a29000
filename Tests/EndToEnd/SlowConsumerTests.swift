@preconcurrency import Glibc
import Testing

extension ResilienceTests {
    /// A member that never reads is cut off at the outbound limit; it never
    /// stalls the room or grows the gateway's memory.
    @Suite struct SlowConsumerTests {
        @Test func memberThatNeverReadsIsDisconnectedWhileOthersGetMegabytesAndGatewayMemoryStaysBounded() throws {
            let server = try MachatProcess(
                ["-max-outbound", "262144", "-rate", "100000", "-burst", "100000"], tcpGateways: 1, wsGateways: 0)
            let gateway = try #require(server.children(named: "machat-tcp-gateway").first)
            let sender = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Sam", room: "bulk"), name: "Sam")
            let reader = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Rex", room: "bulk"), name: "Rex")
            let stalled = try Resilience.NonReader(port: server.tcpPort, name: "Stu", room: "bulk")
            stalled.send("here\n")
            #expect(reader.collect(timeout: 10) { $0.contains("Stu:here") })
            try Resilience.synchronize([sender, reader])
            let rssBefore = MachatProcess.residentKiB(gateway) ?? 0

            // 4000 lines of 1 KiB: about 4 MiB, sixteen times the outbound limit.
            let lines = 4000
            let padding = String(repeating: "x", count: 1010)
            func text(_ index: Int) -> String { "\(String(index + 100_000)) \(padding)" }
            var peakKiB = rssBefore
            let started = MachatProcess.now()
            for index in 0..<lines {
                sender.send(text(index))
                if index % 32 == 31 {
                    sender.poll()
                    reader.poll()
                    peakKiB = max(peakKiB, MachatProcess.residentKiB(gateway) ?? 0)
                }
            }
            let expected = (0..<lines).map { "Sam:\(text($0))" }
            for member in [sender, reader] {
                member.collect(timeout: 20) { $0.count >= lines }
                peakKiB = max(peakKiB, MachatProcess.residentKiB(gateway) ?? 0)
            }
            let seconds = MachatProcess.now() - started
            let rssAfter = MachatProcess.residentKiB(gateway) ?? 0
            print(
                "slow consumer: 4 MiB relayed in \(Int(seconds * 1000)) ms; gateway RSS \(rssBefore) KiB before,"
                    + " peak \(peakKiB) KiB, \(rssAfter) KiB after")

            #expect(server.waitForLog("msg=\"slow consumer disconnected\"", timeout: 10))
            let reports = server.log.split(separator: "\n").filter { $0.contains("slow consumer disconnected") }
            #expect(reports.count == 1 && reports[0].contains("name=Stu"), "slow-consumer log lines: \(reports)")
            for member in [sender, reader] {
                #expect(!member.isClosed, "\(member.name) was disconnected")
                #expect(
                    member.received == expected, "\(member.name) got \(member.received.count) of \(lines) lines, or out of order")
            }
            #expect(peakKiB < 100 * 1024, "gateway RSS peaked at \(peakKiB) KiB")
            withExtendedLifetime(stalled) {}
            #expect(Resilience.stop(server, after: [sender, reader]) == 0)
        }
    }
}
