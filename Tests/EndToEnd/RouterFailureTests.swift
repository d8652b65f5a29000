@preconcurrency import Glibc
import Testing

extension ResilienceTests {
    /// kill -9 of the router: gateways keep their clients, rejoin them to the
    /// restarted router and deliver what was held meanwhile.
    @Suite struct RouterFailureTests {
        @Test func killingTheRouterDisconnectsNobodyAndEveryLineArrivesInOrder() throws {
            let server = try MachatProcess(tcpGateways: 1, wsGateways: 1)
            let router = try #require(server.children(named: "machat-router").first)
            let members: [Resilience.Member] = [
                .tcp(try LineClient.joined(port: server.tcpPort, name: "Ada", room: "ops"), name: "Ada"),
                .tcp(try LineClient.joined(port: server.tcpPort, name: "Bea", room: "ops"), name: "Bea"),
                .webSocket(try Resilience.joinedWebSocket(port: server.wsPort, name: "Cy", room: "ops"), name: "Cy"),
                .webSocket(try Resilience.joinedWebSocket(port: server.wsPort, name: "Dee", room: "ops"), name: "Dee"),
            ]
            try Resilience.synchronize(members)
            let senders = [members[0], members[2]]  // one TCP, one WebSocket
            let readyBefore = server.log.components(separatedBy: "msg=\"gateway ready\"").count - 1

            // Lines before the kill, then the kill with lines in flight, then
            // lines sent while the router is away (held by the gateways).
            let killRound = 60
            let outageRounds = 120
            for round in 0..<killRound {
                for sender in senders { sender.send("line \(round)") }
                if round % 10 == 9 { for member in members { member.poll() } }
            }
            let killedAt = MachatProcess.now()
            #expect(kill(router, SIGKILL) == 0)
            var firstAfterKill: Int?
            func noteArrivals(_ fresh: [String]) {
                guard firstAfterKill == nil else { return }
                let late = fresh.contains { line in
                    guard let number = line.split(separator: " ").last.flatMap({ Int($0) }) else { return false }
                    return line.contains(":line ") && number >= killRound
                }
                if late { firstAfterKill = Resilience.milliseconds(since: killedAt) }
            }
            for round in killRound..<outageRounds {
                for sender in senders { sender.send("line \(round)") }
                for member in members { noteArrivals(member.poll()) }
            }

            // The router is back and both gateways are linked again.
            #expect(server.waitForLog("msg=\"gateway ready\"", count: readyBefore + 2, timeout: 10))
            let relinked = Resilience.milliseconds(since: killedAt)
            #expect(server.children(named: "machat-router").count == 1)
            #expect(!server.children(named: "machat-router").contains(router))

            // Lines after the restart.
            let rounds = outageRounds + 60
            for round in outageRounds..<rounds {
                for sender in senders { sender.send("line \(round)") }
                if round % 10 == 9 { for member in members { noteArrivals(member.poll()) } }
            }
            let expectedTexts = (0..<rounds).map { "line \($0)" }
            for member in members {
                member.collect(timeout: 5) { lines in
                    senders.allSatisfy {
                        Set(Resilience.texts(from: $0.name, in: lines)).count >= rounds
                    }
                }
                noteArrivals(member.received)
            }
            print(
                "router kill -9 → first line sent after the kill delivered: \(firstAfterKill ?? -1) ms;"
                    + " both gateways relinked within \(relinked) ms")

            if members.contains(where: { member in
                senders.contains { Set(Resilience.texts(from: $0.name, in: member.received)).count < rounds }
            }) {
                // For the report: how the links came back.
                let markers = ["router link", "gateway ready", "gateway disconnected", "router listening", "started"]
                let excerpt = server.log.split(separator: "\n").filter { line in markers.contains { line.contains($0) } }
                print("router kill -9, log excerpt:\n" + excerpt.suffix(12).joined(separator: "\n"))
            }
            var duplicates = 0
            for member in members {
                #expect(!member.isClosed, "\(member.name) was disconnected")
                #expect(!member.received.contains { $0.hasPrefix("error:") }, "\(member.name) got an error")
                for sender in senders {
                    let texts = Resilience.texts(from: sender.name, in: member.received)
                    let unique = Resilience.firstOccurrences(texts)
                    duplicates += texts.count - unique.count
                    #expect(unique == expectedTexts, "\(member.name) did not get \(sender.name)'s lines complete and in order")
                    // Only a line in flight at the kill may come twice: none sent
                    // once the links were back.
                    let afterRecovery = texts.filter { Int($0.dropFirst(5))! >= outageRounds }
                    #expect(
                        afterRecovery == Array(expectedTexts[outageRounds...]),
                        "\(member.name): \(sender.name)'s lines sent after the recovery were repeated or reordered")
                }
            }
            print("router kill -9: \(duplicates) duplicate deliveries (at-least-once) across \(members.count) members")
            #expect(Resilience.stop(server, after: members) == 0)
        }

        /// The held-line bound, with the router held down: machat is stopped
        /// (SIGSTOP) so it cannot restart the router it is then made to lose.
        @Test func linesPastTheHeldBoundWhileTheRouterIsDownAreRefusedWithAnErrorAndTheHeldOnesArriveInOrder() throws {
            let server = try MachatProcess(["-held-per-connection", "2048"], tcpGateways: 1, wsGateways: 0)
            let router = try #require(server.children(named: "machat-router").first)
            let ada = Resilience.Member.tcp(try LineClient.joined(port: server.tcpPort, name: "Ada", room: "ops"), name: "Ada")
            let bea = Resilience.Member.tcp(try LineClient.joined(port: server.tcpPort, name: "Bea", room: "ops"), name: "Bea")
            try Resilience.synchronize([ada, bea])

            #expect(kill(server.pid, SIGSTOP) == 0)
            defer { kill(server.pid, SIGCONT) }
            #expect(kill(router, SIGKILL) == 0)
            #expect(server.waitForLog("msg=\"router link lost", timeout: 5))

            // 60 lines of 100 bytes: far more than 2048 bytes may wait.
            let lines = 60
            let padding = String(repeating: ".", count: 91)
            let texts = (0..<lines).map { "held \(100 + $0) \(padding)" }
            for text in texts { ada.send(text) }
            let refusal = "error: message not accepted"
            #expect(ada.collect(timeout: 5) { $0.contains { $0.hasPrefix(refusal) } }, "no line was refused")
            #expect(bea.poll().isEmpty, "a line was delivered with no router")

            // The router comes back; what was held is delivered, in order.
            let resumedAt = MachatProcess.now()
            #expect(kill(server.pid, SIGCONT) == 0)
            func settled(_ received: [String]) -> Bool {
                received.filter { $0.hasPrefix(refusal) }.count + Resilience.texts(from: "Ada", in: received).count >= lines
            }
            #expect(ada.collect(timeout: 10, until: settled))
            let firstDelivery = Resilience.milliseconds(since: resumedAt)
            let refused = ada.received.filter { $0.hasPrefix(refusal) }.count
            let accepted = lines - refused
            print(
                "held-line bound 2048 B: \(accepted) lines held, \(refused) refused; first held line delivered \(firstDelivery) ms after machat resumed"
            )
            #expect(accepted > 0 && refused > 0)
            #expect(Resilience.texts(from: "Ada", in: ada.received) == Array(texts.prefix(accepted)))
            #expect(ada.received.firstIndex { $0.hasPrefix("Ada:") } ?? 0 >= refused, "refusals came after deliveries")
            #expect(bea.collect(timeout: 5) { $0.count >= accepted })
            #expect(bea.received == texts.prefix(accepted).map { "Ada:\($0)" })

            // Once the router is back, lines are accepted again.
            ada.send("after")
            #expect(bea.collect(timeout: 5) { $0.contains("Ada:after") })
            #expect(!ada.isClosed && !bea.isClosed)
            #expect(Resilience.stop(server, after: [ada, bea]) == 0)
        }
    }
}
