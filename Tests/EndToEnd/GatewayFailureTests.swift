@preconcurrency import Glibc
import Testing

/// The resilience suites kill processes, time recoveries and flood the
/// server; they run one at a time so they do not compete for the cores.
@Suite(.serialized, .ownThread) struct ResilienceTests {}

extension ResilienceTests {
    /// kill -9 of one gateway takes down only its own connections.
    @Suite struct GatewayFailureTests {
        @Test func killingOneGatewayLosesNothingForMembersOfOtherGatewaysAndItsMembersCanRejoin() throws {
            let server = try MachatProcess(tcpGateways: 2, wsGateways: 1)
            let gateways = server.children(named: "machat-tcp-gateway")
            try #require(gateways.count == 2)

            // The kernel spreads accepts over the two gateways: connect until
            // each serves at least two members.
            var placed: [(member: Resilience.Member, gateway: pid_t)] = []
            func count(on gateway: pid_t) -> Int { placed.filter { $0.gateway == gateway }.count }
            var attempt = 0
            while attempt < 40 && gateways.contains(where: { count(on: $0) < 2 }) {
                let name = "T\(attempt)"
                attempt += 1
                let client = try LineClient.joined(port: server.tcpPort, name: name, room: "ops")
                let gateway = try #require(Resilience.gateway(serving: client, serverPort: server.tcpPort, among: gateways))
                placed.append((.tcp(client, name: name), gateway))
            }
            try #require(
                gateways.allSatisfy { count(on: $0) >= 2 },
                "accepts did not spread over both TCP gateways in \(attempt) connections")
            let web = Resilience.Member.webSocket(
                try Resilience.joinedWebSocket(port: server.wsPort, name: "Wes", room: "ops"), name: "Wes")
            try Resilience.synchronize(placed.map(\.member) + [web])

            let doomed = gateways[0]
            let victims = placed.filter { $0.gateway == doomed }.map(\.member)
            let survivors = placed.filter { $0.gateway != doomed }.map(\.member) + [web]
            let readyBefore = server.log.components(separatedBy: "msg=\"gateway ready\"").count - 1

            // Survivors send round after round; the gateway dies a third of the way in.
            let rounds = 150
            let killRound = 50
            var killedAt = 0.0
            var restartMilliseconds: Int?
            for round in 0..<rounds {
                if round == killRound {
                    killedAt = MachatProcess.now()
                    #expect(kill(doomed, SIGKILL) == 0)
                }
                for member in survivors { member.send("line \(round)") }
                if round % 10 == 9 { for member in survivors { member.poll() } }
                if round > killRound && restartMilliseconds == nil
                    && server.log.components(separatedBy: "msg=\"gateway ready\"").count - 1 > readyBefore
                {
                    restartMilliseconds = Resilience.milliseconds(since: killedAt)
                }
            }

            let expectedCount = rounds * survivors.count
            let survivorNames = Set(survivors.map { "\($0.name):" })
            func fromSurvivors(_ lines: [String]) -> [String] {
                lines.filter { line in survivorNames.contains { line.hasPrefix($0) } }
            }
            for member in survivors {
                member.collect(timeout: 15) { fromSurvivors($0).count >= expectedCount }
            }

            // Every survivor got every survivor's line, each sender's in order,
            // and (one room, one router) all in the same total order.
            let expectedTexts = (0..<rounds).map { "line \($0)" }
            for member in survivors {
                #expect(!member.isClosed, "\(member.name) was disconnected")
                #expect(
                    fromSurvivors(member.received).count == expectedCount,
                    "\(member.name) got \(fromSurvivors(member.received).count) of \(expectedCount)")
                for sender in survivors {
                    #expect(
                        Resilience.texts(from: sender.name, in: member.received) == expectedTexts,
                        "\(member.name) did not get \(sender.name)'s lines complete and in order")
                }
            }
            let reference = fromSurvivors(survivors[0].received)
            for member in survivors.dropFirst() {
                #expect(fromSurvivors(member.received) == reference, "\(member.name) saw another order than \(survivors[0].name)")
            }

            // The dead gateway's clients got EOF; the router dropped exactly them.
            for victim in victims {
                #expect(victim.tcpClient?.waitForClose(timeout: 5) == true, "\(victim.name) was not disconnected")
            }
            #expect(
                server.waitForLog("members_removed=\(victims.count) ", timeout: 5),
                "router did not drop exactly \(victims.count) members")

            // machat restarted it: two TCP gateways again, one of them new.
            #expect(
                MachatProcess.wait(timeout: 10) {
                    let now = server.children(named: "machat-tcp-gateway")
                    return now.count == 2 && !now.contains(doomed)
                })
            #expect(server.waitForLog("msg=\"gateway ready\"", count: readyBefore + 1, timeout: 10))
            if restartMilliseconds == nil { restartMilliseconds = Resilience.milliseconds(since: killedAt) }
            print("gateway kill -9 → restarted gateway linked to router: \(restartMilliseconds ?? -1) ms (upper bound)")

            // A killed member rejoins under its old name, and the room hears it.
            let returning = victims[0].name
            let rejoined = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: returning, room: "ops"), name: returning)
            rejoined.send("back again")
            #expect(rejoined.collect(timeout: 5) { $0.contains("\(returning):back again") })
            #expect(survivors[0].collect(timeout: 5) { $0.contains("\(returning):back again") })
            #expect(Resilience.stop(server, after: survivors + [rejoined]) == 0)
        }
    }
}
