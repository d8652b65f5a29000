@preconcurrency import Glibc
import Testing

extension ResilienceTests {
    /// SIGHUP to machat restarts the gateways one at a time while the room
    /// keeps talking.
    @Suite struct RollingRestartTests {
        /// One connection of a TCP member, from join to the restart notice.
        private final class Life {
            let member: Resilience.Member
            let generation: Int
            /// Index of the WebSocket sender's connection current when this one joined.
            let joinedDuringSegment: Int
            var endedWithNotice = false

            init(member: Resilience.Member, generation: Int, joinedDuringSegment: Int) {
                self.member = member
                self.generation = generation
                self.joinedDuringSegment = joinedDuringSegment
            }
        }

        /// Joins under `name` and waits for the own probe; the refusal line if any.
        private static func join(port: UInt16, name: String, room: String) -> Result<Resilience.Member, HarnessError> {
            guard let client = try? LineClient(port: port, name: name, room: room) else {
                return .failure(HarnessError(description: "\(name): connect failed"))
            }
            let member = Resilience.Member.tcp(client, name: name)
            let probe = "probe-\(UInt32.random(in: 0...UInt32.max))"
            member.send(probe)
            let joined = member.collect(timeout: 5) { lines in
                lines.contains("\(name):\(probe)") || lines.contains { $0.hasPrefix("error:") }
            }
            if joined, !member.received.contains(where: { $0.hasPrefix("error:") }) {
                member.clear()
                return .success(member)
            }
            return .failure(HarnessError(description: "\(name) could not rejoin: \(member.received)"))
        }

        /// The WebSocket sender's lines a member got: (connection index, number).
        private static func senderLines(_ lines: [String]) -> [(segment: Int, number: Int)] {
            Resilience.texts(from: "Wren", in: lines).compactMap { text in
                let parts = text.split(separator: "-")
                guard parts.count == 2, parts[0].hasPrefix("s"), let segment = Int(parts[0].dropFirst()),
                    let number = Int(parts[1])
                else { return nil }
                return (segment, number)
            }
        }

        @Test func rollingRestartUnderTrafficLosesNoLineAndMembersReconnectAtOnce() throws {
            let server = try MachatProcess(tcpGateways: 2, wsGateways: 1)
            let gateways = server.children(named: "machat-tcp-gateway")
            try #require(gateways.count == 2)
            let notice = "error: server is restarting; reconnect in a moment"

            // TCP members on both gateways.
            var lives: [Life] = []
            var placement: [pid_t: Int] = [:]
            var attempt = 0
            while attempt < 40 && gateways.contains(where: { placement[$0, default: 0] < 2 }) {
                let name = "M\(attempt)"
                attempt += 1
                let client = try LineClient.joined(port: server.tcpPort, name: name, room: "roll")
                let gateway = try #require(Resilience.gateway(serving: client, serverPort: server.tcpPort, among: gateways))
                placement[gateway, default: 0] += 1
                lives.append(Life(member: .tcp(client, name: name), generation: 0, joinedDuringSegment: 0))
            }
            try #require(gateways.allSatisfy { placement[$0, default: 0] >= 2 }, "accepts did not spread: \(placement)")
            var sender = Resilience.Member.webSocket(
                try Resilience.joinedWebSocket(port: server.wsPort, name: "Wren", room: "roll"), name: "Wren")
            try Resilience.synchronize([sender] + lives.map(\.member))

            // Traffic from the WebSocket member, then SIGHUP.
            var segment = 0
            var number = 0
            var senderCloseCodes: [UInt16?] = []
            var rejoinFailures: [String] = []
            var reconnects = 0
            var finished: [Life] = []
            for _ in 0..<20 {
                sender.send("s\(segment)-\(number)")
                number += 1
                sender.poll(wait: 0.002)
            }
            let hupAt = MachatProcess.now()
            #expect(kill(server.pid, SIGHUP) == 0)
            let deadline = hupAt + 20
            var done = false
            while MachatProcess.now() < deadline {
                sender.send("s\(segment)-\(number)")
                number += 1
                sender.poll(wait: 0.002)
                if sender.isClosed {
                    senderCloseCodes.append(sender.webSocketClient?.closeCode)
                    sender.hangUp()
                    sender = Resilience.Member.webSocket(
                        try Resilience.joinedWebSocket(port: server.wsPort, name: "Wren", room: "roll"), name: "Wren")
                    segment += 1
                    number = 0
                }
                for (index, life) in lives.enumerated() {
                    life.member.poll()
                    guard life.member.received.contains(where: { $0.hasPrefix("error:") }) else { continue }
                    life.endedWithNotice =
                        life.member.received.last == notice && life.member.tcpClient?.waitForClose(timeout: 2) == true
                    life.member.hangUp()  // as a real client would, so the drain need not linger
                    finished.append(life)
                    switch Self.join(port: server.tcpPort, name: life.member.name, room: "roll") {
                    case .success(let member):
                        reconnects += 1
                        lives[index] = Life(member: member, generation: life.generation + 1, joinedDuringSegment: segment)
                    case .failure(let error):
                        rejoinFailures.append(error.description)
                        lives[index] = Life(member: life.member, generation: -1, joinedDuringSegment: segment)
                    }
                }
                lives.removeAll { $0.generation < 0 }
                if !done && server.log.contains("msg=\"rolling restart done\"") {
                    done = true
                    print("rolling restart of 3 gateways done \(Resilience.milliseconds(since: hupAt)) ms after SIGHUP")
                }
                if done && segment > 0 && lives.allSatisfy({ $0.generation > 0 }) { break }
            }
            #expect(done, "no \"rolling restart done\" in the log")

            // A last line that every member connected now must get.
            sender.send("s\(segment)-\(number)")
            let last = "Wren:s\(segment)-\(number)"
            for life in lives {
                #expect(life.member.collect(timeout: 5) { $0.contains(last) }, "\(life.member.name) missed the last line")
            }

            #expect(rejoinFailures.isEmpty, "\(rejoinFailures)")
            #expect(senderCloseCodes == [1001], "WebSocket sender closes: \(senderCloseCodes)")
            print(
                "rolling restart: \(reconnects) TCP reconnects, \(number) lines in the sender's last connection, \(segment + 1) connections"
            )
            let originals = finished.filter { $0.generation == 0 }
            #expect(originals.count == placement.values.reduce(0, +), "not every original member was told to reconnect")
            for life in finished {
                #expect(
                    life.endedWithNotice,
                    "\(life.member.name) (generation \(life.generation)) did not end with the notice and EOF: \(life.member.received.suffix(3))"
                )
            }
            // No gaps: within each sender connection, a member got consecutive numbers;
            // members there from the start of a sender connection got it from its first line.
            for life in finished + lives {
                let got = Self.senderLines(life.member.received)
                for seen in Set(got.map(\.segment)) {
                    let numbers = got.filter { $0.segment == seen }.map(\.number)
                    let from = numbers.first ?? 0
                    #expect(
                        numbers == Array(from..<(from + numbers.count)),
                        "\(life.member.name) gen \(life.generation): gap or repeat in s\(seen): \(numbers)")
                    if seen > life.joinedDuringSegment || (seen == 0 && life.generation == 0) {
                        #expect(from == 0, "\(life.member.name) gen \(life.generation) missed the start of s\(seen)")
                    }
                }
            }
            #expect(Resilience.stop(server, after: lives.map(\.member) + [sender]) == 0)
        }
    }
}
