@preconcurrency import Glibc
import Foundation
import Testing

/// Rooms that remember: history on join, resume after a drop, the seam
/// between history and live lines, and history that outgrows a client's
/// outbound limit.
@Suite(.ownThread) struct RoomHistoryTests {
    @Test func historyOnJoinComesInEachFormatOverBothTransportsThenLiveLines() throws {
        let server = try MachatProcess()
        let sender = try LineClient.joined(port: server.tcpPort, name: "Ann", room: "log")
        for i in 1...5 { sender.send("line \(i)\n") }
        #expect(sender.readLines(5) == (1...5).map { "Ann:line \($0)" })

        // The probe was offset 1, so the five lines are 2...6.
        let tcpText = try LineClient(port: server.tcpPort)
        tcpText.send(#"{"name":"Tt","room":"log","history":3}"# + "\n")
        #expect(tcpText.readLines(3) == ["Ann:line 3", "Ann:line 4", "Ann:line 5"])
        let wsText = try WebSocketTestClient(port: server.wsPort)
        wsText.sendText(#"{"name":"Wt","room":"log","history":3}"#)
        #expect(wsText.readTexts(3) == ["Ann:line 3\n", "Ann:line 4\n", "Ann:line 5\n"])
        let tcpJSON = try JSONChatClient(.tcp, server: server, name: "Tj", room: "log", extra: ["history": 3])
        let wsJSON = try JSONChatClient(.webSocket, server: server, name: "Wj", room: "log", extra: ["history": 3])
        for client in [tcpJSON, wsJSON] {
            let welcome = try #require(client.next())
            #expect(welcome.type == "welcome")
            #expect(welcome.offset == 6)
            #expect(welcome["recovered"] as? Bool == false)
            let history = client.next(3)
            #expect(history.map(\.offset) == [4, 5, 6])
            #expect(history.map(\.text) == ["line 3", "line 4", "line 5"])
            #expect(
                history.allSatisfy {
                    $0.name == "Ann" && $0["room"] as? String == "log" && ($0["time"] as? Int ?? 0) > 1_700_000_000_000
                })
        }

        sender.send("live\n")
        #expect(tcpText.readLine() == "Ann:live")
        #expect(wsText.readText() == "Ann:live\n")
        for client in [tcpJSON, wsJSON] {
            var skipped: [[String: Any]] = []
            let live = client.next(ofType: "message", skipped: &skipped)
            #expect(live?.offset == 7)
            #expect(live?.text == "live")
        }
        #expect(server.stop() == 0)
    }

    @Test func historyWhileThreeOthersSendIsContiguousIntoLiveWithNoGapOrDuplicate() throws {
        let server = try MachatProcess()
        let senders = try (0..<3).map { try LineClient.joined(port: server.tcpPort, name: "S\($0)", room: "busy") }
        for (index, sender) in senders.enumerated() {
            for i in 0..<50 { sender.send("warm \(index) \(i)\n") }
        }
        // Keep all three talking from another thread while members join.
        let stop = Flag()
        let shared = UncheckedBox(senders)
        let talker = Thread {
            var round = 0
            while !stop.isSet && round < 4000 {
                for (index, sender) in shared.value.enumerated() { sender.send("talk \(index) \(round)\n") }
                round += 1
                usleep(200)
            }
        }
        talker.start()
        defer { stop.set() }
        for transport in [JSONChatClient.Transport.tcp, .webSocket] {
            let member = try JSONChatClient(
                transport, server: server, name: "J\(transport)", room: "busy", extra: ["history": 1000])
            let welcome = try #require(member.next(timeout: 10))
            let joinedAt = try #require(welcome.offset)
            let first = max(1, joinedAt - 999)
            // History up to the welcome's offset, then live lines: every offset once, in order.
            let seen = member.messages(through: joinedAt + 200, timeout: 20)
            let offsets = seen.compactMap(\.offset)
            #expect(offsets.first == first)
            #expect(offsets == Array(first...(offsets.last ?? first)), "offsets must be contiguous")
            #expect(offsets.count >= joinedAt + 200 - first + 1)
        }
        stop.set()
        while !talker.isFinished { usleep(1000) }
        #expect(server.stop() == 0)
    }

    @Test func resumeAfterADropGetsExactlyTheMissedLinesAndAWrongEpochIsNotRecovered() throws {
        let server = try MachatProcess()
        let sender = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "r")
        var reader = try JSONChatClient(.webSocket, server: server, name: "Mi", room: "r")
        let welcome = try #require(reader.next())
        let epoch = try #require(welcome["epoch"] as? String)
        sender.send("before\n")
        let before = reader.messages(through: 2)
        #expect(before.last?.text == "before")
        let since = try #require(before.last?.offset)
        reader = try JSONChatClient(.tcp, server: server, name: "Other", room: "elsewhere")  // drops Mi's connection
        for i in 1...5 { sender.send("missed \(i)\n") }
        #expect(sender.readLines(6).last == "Bo:missed 5")

        // Mi's old connection went through the other gateway: until the router
        // has heard it close, the name is still taken. Wait for that, bounded.
        var resumed = try JSONChatClient(
            .tcp, server: server, name: "Mi", room: "r", extra: ["since": since, "epoch": epoch])
        var again = try #require(resumed.next())
        let deadline = MachatProcess.now() + 10
        while again.type == "error", (again["message"] as? String)?.contains("already taken") == true,
            MachatProcess.now() < deadline
        {
            usleep(20_000)
            resumed = try JSONChatClient(.tcp, server: server, name: "Mi", room: "r", extra: ["since": since, "epoch": epoch])
            again = try #require(resumed.next())
        }
        #expect(again.type == "welcome")
        #expect(again["recovered"] as? Bool == true)
        #expect(again["epoch"] as? String == epoch)
        #expect(again.offset == since + 5)
        let missed = resumed.next(5)
        #expect(missed.map(\.text) == (1...5).map { "missed \($0)" })
        #expect(missed.map(\.offset) == Array((since + 1)...(since + 5)))
        sender.send("after\n")
        #expect(resumed.next()?.text == "after")

        let stale = try JSONChatClient(
            .webSocket, server: server, name: "Stale", room: "r", extra: ["since": since, "epoch": "0123456789abcdef"])
        let staleWelcome = try #require(stale.next())
        #expect(staleWelcome["recovered"] as? Bool == false)
        #expect(staleWelcome["epoch"] as? String == epoch)
        // Not recovered: it gets what the log holds, here every line from the probe on.
        let held = stale.messages(through: since + 6)
        #expect(held.first?.offset == 1)
        #expect(held.last?.text == "after")
        #expect(server.stop() == 0)
    }

    @Test func resumeFromBeforeWhatTheLogHoldsIsNotRecovered() throws {
        let server = try MachatProcess(["-history-size", "5"])
        let sender = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "r")
        let first = try JSONChatClient(.tcp, server: server, name: "Mi", room: "r")
        let epoch = try #require(first.next()?["epoch"] as? String)
        for i in 1...20 { sender.send("l\(i)\n") }
        #expect(sender.readLines(20).last == "Bo:l20")
        let resumed = try JSONChatClient(.tcp, server: server, name: "Mi2", room: "r", extra: ["since": 3, "epoch": epoch])
        let welcome = try #require(resumed.next())
        #expect(welcome["recovered"] as? Bool == false)
        #expect(resumed.next(5).map(\.text) == (16...20).map { "l\($0)" })
        #expect(server.stop() == 0)
    }

    @Test func historyFarLargerThanTheOutboundLimitStreamsWithoutCuttingTheClientOrStallingTheRouter() throws {
        let server = try MachatProcess(["-max-outbound", "1048576"])
        let sender = try LineClient.joined(port: server.tcpPort, name: "Big", room: "big")
        let control = try LineClient.joined(port: server.tcpPort, name: "Ctl", room: "control")
        let line = String(repeating: "x", count: 60 * 1024)
        for i in 0..<200 {
            sender.send("\(i) \(line)\n")
            if i % 20 == 19 { _ = sender.readLines(20, timeout: 20) }
        }
        // 200 lines of 60 KiB: 12 MB of history for a client allowed 1 MiB of backlog.
        let reader = try LineClient(port: server.tcpPort)
        reader.send(#"{"name":"Reader","room":"big","history":1000}"# + "\n")
        var worstRoundTrip = 0.0
        var received = 0
        while received < 201 {
            guard let text = reader.readLine(timeout: 20) else { break }
            #expect(text.hasPrefix("Big:\(received == 0 ? "probe-" : "\(received - 1) ")"))
            received += 1
            if received % 50 == 0 {
                let start = MachatProcess.now()
                control.send("ping\n")
                #expect(control.readLine() == "Ctl:ping")
                worstRoundTrip = max(worstRoundTrip, MachatProcess.now() - start)
            }
        }
        #expect(received == 201)
        #expect(worstRoundTrip < 2)
        sender.send("live after history\n")
        #expect(reader.readLine(timeout: 10) == "Big:live after history")
        #expect(!server.log.contains("slow consumer"))
        #expect(server.stop() == 0)
    }

    @Test func defaultHistoryGivesSeedClientsScrollbackAndPlainJoinsStayByteIdentical() throws {
        let plain = try MachatProcess()
        let talker = try LineClient.joined(port: plain.tcpPort, name: "T", room: "d")
        talker.send("one\n")
        _ = talker.readLine()
        let seed = try LineClient(port: plain.tcpPort)
        seed.send(#"{"name":"Mina","room":"d"}"#)
        seed.send("hello\n")
        // Exactly the seed's bytes: no history, no welcome, just name:text\n.
        #expect(seed.readLine() == "Mina:hello")
        #expect(talker.readLine() == "Mina:hello")
        #expect(plain.stop() == 0)

        let server = try MachatProcess(["-default-history", "2"])
        let first = try LineClient.joined(port: server.tcpPort, name: "T", room: "d")
        for word in ["a", "b", "c"] { first.send("\(word)\n") }
        #expect(first.readLines(3) == ["T:a", "T:b", "T:c"])
        let late = try LineClient(port: server.tcpPort)
        late.send(#"{"name":"Late","room":"d"}"# + "\n")
        #expect(late.readLines(2) == ["T:b", "T:c"])
        #expect(server.stop() == 0)
    }

    @Test func aRouterRestartChangesTheEpochSoJSONMembersAreWelcomedAgainAndOldOffsetsAreNotRecovered() throws {
        let server = try MachatProcess()
        let member = try JSONChatClient(.webSocket, server: server, name: "Mi", room: "r")
        let firstEpoch = try #require(member.next()?["epoch"] as? String)
        member.send("before")
        #expect(member.messages(through: 1).last?.text == "before")
        let router = try #require(server.children(named: "machat-router").first)
        kill(router, SIGKILL)
        // The replayed member learns the log it knew is gone.
        let welcome = try #require(member.next(timeout: 10))
        #expect(welcome.type == "welcome")
        let secondEpoch = try #require(welcome["epoch"] as? String)
        #expect(secondEpoch != firstEpoch)
        #expect(welcome["recovered"] as? Bool == false)
        #expect(welcome["members"] as? [String] == ["Mi"])
        member.send("after")
        #expect(member.messages(through: 1).last?.text == "after")

        let resumed = try JSONChatClient(.tcp, server: server, name: "Back", room: "r", extra: ["since": 1, "epoch": firstEpoch])
        let again = try #require(resumed.next())
        #expect(again["recovered"] as? Bool == false)
        #expect(again["epoch"] as? String == secondEpoch)
        #expect(server.stop() == 0)
    }
}

/// Hands test clients to a helper thread that alone uses them meanwhile.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A flag one thread sets and another reads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
