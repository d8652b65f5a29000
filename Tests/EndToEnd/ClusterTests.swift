@preconcurrency import Glibc
import Foundation
import Testing

/// Several MaChat nodes sharing rooms through a real redis-server: one order
/// per room across nodes, names and presence cluster-wide, history and
/// resume from any node, and what happens when Redis or a node dies.
@Suite(.serialized, .ownThread) struct ClusterTests {
    /// Three nodes on one Redis.
    private static func cluster(_ redis: RedisProcess, nodes: Int = 3, extra: [String] = []) throws -> [MachatProcess] {
        try (0..<nodes).map { _ in try MachatProcess(["-redis", redis.url, "-redis-lease", "2000"] + extra) }
    }

    /// Waits until every member has seen `marker` (sent by the first), so all
    /// are joined before the measured part starts.
    private static func sync(_ members: [JSONChatClient], marker: String) {
        members[0].send(marker)
        for member in members {
            var skipped: [[String: Any]] = []
            while let message = member.next(ofType: "message", timeout: 10, skipped: &skipped) {
                if message.text == marker { break }
            }
        }
    }

    @Test func membersOnThreeNodesSendingAtOnceAllSeeOneOrderWithTheSameOffsets() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis)
        var members: [JSONChatClient] = []
        for (index, node) in nodes.enumerated() {
            for transport in [JSONChatClient.Transport.tcp, .webSocket] {
                let member = try JSONChatClient(transport, server: node, name: "n\(index)\(transport)", room: "all")
                #expect(member.next(timeout: 10)?.type == "welcome")
                members.append(member)
            }
        }
        Self.sync(members, marker: "sync")
        let count = 100
        for round in 0..<count {
            for member in members { member.send("\(round)") }
        }
        var seen: [[String]] = []
        var offsets: [[Int]] = []
        for member in members {
            var lines: [String] = []
            var memberOffsets: [Int] = []
            while lines.count < count * members.count, let object = member.next(timeout: 20) {
                guard object.type == "message" else { continue }
                lines.append("\(object.name ?? "?"):\(object.text ?? "?")")
                memberOffsets.append(object.offset ?? -1)
            }
            seen.append(lines)
            offsets.append(memberOffsets)
        }
        #expect(seen[0].count == count * members.count)
        for index in 1..<members.count {
            #expect(seen[index] == seen[0], "member \(index) saw another order")
            #expect(offsets[index] == offsets[0])
        }
        if let first = offsets[0].first { #expect(offsets[0] == Array(first..<(first + offsets[0].count))) }
        // Each sender's lines in the order it sent them.
        for member in 0..<members.count {
            let name = "n\(member / 2)\(member % 2 == 0 ? JSONChatClient.Transport.tcp : .webSocket)"
            #expect(seen[0].filter { $0.hasPrefix(name + ":") } == (0..<count).map { "\(name):\($0)" })
        }
        for node in nodes { #expect(node.stop() == 0) }
    }

    @Test func aNameHeldOnOneNodeIsRefusedOnAnotherAndPresenceSpansNodes() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis)
        var mina: LineClient? = try LineClient.joined(port: nodes[0].tcpPort, name: "Mina", room: "dev")
        let watcher = try JSONChatClient(.webSocket, server: nodes[1], name: "Watch", room: "dev", extra: ["presence": true])
        #expect(watcher.next(timeout: 10)?["members"] as? [String] == ["Mina", "Watch"])
        let taken = try LineClient(port: nodes[2].tcpPort, name: "Mina", room: "dev")
        #expect(taken.readLine(timeout: 10) == #"error: name "Mina" is already taken in room "dev"; pick another name"#)
        #expect(taken.waitForClose())
        // The same name in another room is fine.
        _ = try LineClient.joined(port: nodes[2].tcpPort, name: "Mina", room: "other")
        let bo = try JSONChatClient(.tcp, server: nodes[2], name: "Bo", room: "dev")
        #expect(bo.next(timeout: 10)?["members"] as? [String] == ["Bo", "Mina", "Watch"])
        var skipped: [[String: Any]] = []
        let join = watcher.next(ofType: "join", timeout: 10, skipped: &skipped)
        #expect(join?.name == "Bo")
        // Mina hangs up; her leave is seen on another node.
        #expect(mina != nil)
        mina = nil
        let leave = watcher.next(ofType: "leave", timeout: 10, skipped: &skipped)
        #expect(leave?.name == "Mina")
        // And her name is free again, cluster-wide.
        _ = try LineClient.joined(port: nodes[1].tcpPort, name: "Mina", room: "dev")
        for node in nodes { #expect(node.stop() == 0) }
    }

    @Test func historyAndResumeWorkFromAnyNode() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis)
        let sender = try LineClient.joined(port: nodes[0].tcpPort, name: "Ann", room: "log")
        for i in 1...5 { sender.send("line \(i)\n") }
        #expect(sender.readLines(5).last == "Ann:line 5")
        var reader: JSONChatClient? = try JSONChatClient(
            .webSocket, server: nodes[1], name: "Bo", room: "log", extra: ["history": 3])
        let welcome = try #require(reader?.next(timeout: 10))
        let epoch = try #require(welcome["epoch"] as? String)
        #expect(welcome.offset == 6)
        #expect(reader?.next(3).map(\.text) == ["line 3", "line 4", "line 5"])
        let since = 6
        // Bo drops; Ann talks on; Bo resumes on a third node.
        reader = nil
        for i in 6...8 { sender.send("line \(i)\n") }
        #expect(sender.readLines(3).last == "Ann:line 8")
        // Bo's old connection leaves through node 1 and Redis; until then the
        // name is taken, as it would be for any client coming back that fast.
        let (resumed, again) = try Collecting.retrying("Bo could not resume on node 3", timeout: 10) {
            timeout -> (JSONChatClient, [String: Any]) in
            let client = try JSONChatClient(
                .tcp, server: nodes[2], name: "Bo", room: "log", extra: ["since": since, "epoch": epoch])
            guard let first = client.next(timeout: timeout), first["type"] as? String == "welcome" else {
                throw HarnessError(description: "no welcome")
            }
            return (client, first)
        }
        #expect(again["recovered"] as? Bool == true)
        #expect(again["epoch"] as? String == epoch)
        #expect(resumed.next(3).map(\.text) == ["line 6", "line 7", "line 8"])
        for node in nodes { #expect(node.stop() == 0) }
    }

    /// `-history-ttl` holds in Redis too: once lines are older than it,
    /// no node serves them and the next batch in the room deletes them from
    /// the stream (renewals and cleanup run at most about once a second).
    @Test func linesPastTheirTTLLeaveHistoryOnEveryNodeAndTheStream() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis, nodes: 2, extra: ["-history-ttl", "2s"])
        let sender = try LineClient.joined(port: nodes[0].tcpPort, name: "Ann", room: "ttl")
        for i in 1...3 { sender.send("old \(i)\n") }
        #expect(sender.readLines(3).last == "Ann:old 3")
        #expect(redis.cli("XRANGE", "machat:l:ttl", "-", "+").contains("old 1"))
        var tick = 0
        let cleaned = MachatProcess.wait(timeout: 15) {
            // A line now and then: what makes the room's batch clean up.
            tick += 1
            sender.send("tick \(tick)\n")
            _ = sender.readLines(1)
            return !redis.cli("XRANGE", "machat:l:ttl", "-", "+").contains("old ")
        }
        #expect(cleaned, "old lines still in the stream: \(redis.cli("XRANGE", "machat:l:ttl", "-", "+"))")
        let reader = try JSONChatClient(.tcp, server: nodes[1], name: "Bo", room: "ttl", extra: ["history": 100])
        _ = try #require(reader.next(timeout: 10))
        sender.send("new\n")
        var texts: [String] = []
        var skipped: [[String: Any]] = []
        while let message = reader.next(ofType: "message", timeout: 10, skipped: &skipped), let text = message.text {
            texts.append(text)
            if text == "new" { break }
        }
        #expect(texts.last == "new" && !texts.contains { $0.hasPrefix("old ") }, "history: \(texts)")
        for node in nodes { #expect(node.stop() == 0) }
    }

    /// Where two sequences first differ (index and both values), nil if equal:
    /// a short failure message instead of two long lists.
    static func firstDifference(_ a: [String], _ b: [String]) -> String? {
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : "<end>"
            let right = index < b.count ? b[index] : "<end>"
            if left != right { return "at \(index) of \(a.count)/\(b.count): \(left) vs \(right)" }
        }
        return nil
    }

    /// Chatters on every node send numbered lines until told to stop.
    private final class Chatter: @unchecked Sendable {
        let client: LineClient
        let name: String
        private let lock = NSLock()
        private var sentCount = 0
        init(_ client: LineClient, name: String) {
            self.client = client
            self.name = name
        }
        var sent: Int { lock.withLock { sentCount } }
        func sendNext() {
            let n = lock.withLock { () -> Int in
                sentCount += 1
                return sentCount
            }
            client.send("\(name) \(n)\n")
        }
    }

    @Test func killingRedisUnderTrafficDisconnectsNobodyAndLosesReordersOrRepeatsNothing() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis)
        let readers = try nodes.enumerated().map { index, node in
            try JSONChatClient(.tcp, server: node, name: "r\(index)", room: "busy")
        }
        for reader in readers { #expect(reader.next(timeout: 10)?.type == "welcome") }
        let chatters = try nodes.enumerated().map { index, node in
            Chatter(try LineClient.joined(port: node.tcpPort, name: "c\(index)", room: "busy"), name: "c\(index)")
        }
        let stop = Flag()
        let shared = UncheckedBox(chatters)
        let talker = Thread {
            var rounds = 0
            while !stop.isSet && rounds < 3000 {
                for chatter in shared.value { chatter.sendNext() }
                rounds += 1
                usleep(2000)
            }
        }
        talker.start()
        usleep(300_000)
        redis.kill9()
        usleep(700_000)
        try redis.restart()
        usleep(500_000)
        stop.set()
        while !talker.isFinished { usleep(1000) }
        let total = chatters.reduce(0) { $0 + $1.sent }
        // Every line sent, on every node, once, in one order.
        var sequences: [[String]] = []
        for reader in readers {
            var lines: [String] = []
            while let object = reader.next(timeout: 15) {
                guard object.type == "message", let name = object.name, name.hasPrefix("c") else { continue }
                guard let text = object.text, !text.hasPrefix("probe-") else { continue }
                lines.append(text)
                if lines.count == total { break }
            }
            sequences.append(lines)
        }
        let problems = nodes.flatMap {
            $0.log.split(separator: "\n").filter { $0.contains("level=warn") || $0.contains("level=error") }
        }
        #expect(
            sequences[0].count == total,
            "expected \(total) lines, got \(sequences[0].count); node logs:\n\(problems.joined(separator: "\n"))")
        #expect(Self.firstDifference(sequences[1], sequences[0]) == nil, "node logs:\n\(problems.joined(separator: "\n"))")
        #expect(Self.firstDifference(sequences[2], sequences[0]) == nil, "node logs:\n\(problems.joined(separator: "\n"))")
        for chatter in chatters {
            let own = sequences[0].filter { $0.hasPrefix(chatter.name + " ") }
            #expect(Self.firstDifference(own, (1...chatter.sent).map { "\(chatter.name) \($0)" }) == nil)
        }
        for chatter in chatters { #expect(!chatter.client.waitForClose(timeout: 0.1)) }
        for node in nodes {
            #expect(node.children(named: "machat-router").count == 1)
            #expect(node.stop() == 0)
        }
    }

    @Test func aRedisThatComesBackEmptyStartsNewEpochsAndTheNodesRegisterTheirMembersAgain() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis, nodes: 2)
        let a = try JSONChatClient(.tcp, server: nodes[0], name: "Ann", room: "r")
        let firstEpoch = try #require(a.next(timeout: 10)?["epoch"] as? String)
        let b = try JSONChatClient(.webSocket, server: nodes[1], name: "Bo", room: "r")
        #expect(b.next(timeout: 10)?.type == "welcome")
        a.send("before")
        #expect(b.messages(through: 1).last?.text == "before")
        redis.kill9()
        try redis.restart(keepingData: false)
        // Both are told the log they knew is gone.
        for client in [a, b] {
            var skipped: [[String: Any]] = []
            let welcome = try #require(client.next(ofType: "welcome", timeout: 15, skipped: &skipped))
            #expect(welcome["epoch"] as? String != firstEpoch)
            #expect(welcome["recovered"] as? Bool == false)
        }
        // Names were registered again: Ann's is still hers, cluster-wide.
        let thief = try LineClient(port: nodes[1].tcpPort, name: "Ann", room: "r")
        let refusal = thief.readLine(timeout: 10)
        #expect(
            refusal?.contains("already taken") == true,
            "\(refusal ?? "no answer"); logs:\n\(nodes.map(\.log).joined(separator: "\n"))")
        a.send("after")
        var skipped: [[String: Any]] = []
        #expect(b.next(ofType: "message", timeout: 10, skipped: &skipped)?.text == "after")
        for node in nodes { #expect(node.stop() == 0) }
    }

    @Test func aNewcomerWaitsRatherThanTakeTheNameOfAMemberWhoseNodeIsStillComingBackToAnEmptyRedis() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis, nodes: 2)
        let ann = try JSONChatClient(.tcp, server: nodes[0], name: "Ann", room: "r")
        #expect(ann.next(timeout: 10)?.type == "welcome")
        let bo = try JSONChatClient(.tcp, server: nodes[1], name: "Bo", room: "r")
        #expect(bo.next(timeout: 10)?.type == "welcome")
        // Ann's node is away (its router stopped) while Redis comes back empty.
        let router = try #require(nodes[0].children(named: "machat-router").first)
        kill(router, SIGSTOP)
        redis.kill9()
        try redis.restart(keepingData: false)
        var skipped: [[String: Any]] = []
        #expect(bo.next(ofType: "welcome", timeout: 15, skipped: &skipped)?["recovered"] as? Bool == false)
        // Bo's node has registered its members again; Ann's name is free in
        // Redis, but a newcomer is not given it while Redis recovers.
        let thief = try JSONChatClient(.tcp, server: nodes[1], name: "Ann", room: "r")
        #expect(thief.next(timeout: 0.7) == nil, "the newcomer waits")
        kill(router, SIGCONT)
        let answer = thief.next(timeout: 10)
        #expect(answer?.type == "error" && (answer?["message"] as? String)?.contains("already taken") == true, "\(answer ?? [:])")
        #expect(ann.next(ofType: "welcome", timeout: 15, skipped: &skipped)?["recovered"] as? Bool == false)
        ann.send("still mine")
        #expect(bo.next(ofType: "message", timeout: 10, skipped: &skipped)?.text == "still mine")
        for node in nodes { #expect(node.stop() == 0) }
    }

    @Test func killingAWholeNodeLetsTheOthersChatAndItsMembersLeaveWithinTheLease() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        var nodes = try Self.cluster(redis)
        let watcher = try JSONChatClient(.tcp, server: nodes[0], name: "Watch", room: "r", extra: ["presence": true])
        #expect(watcher.next(timeout: 10)?.type == "welcome")
        let doomed = try LineClient.joined(port: nodes[2].tcpPort, name: "Doomed", room: "r")
        var skipped: [[String: Any]] = []
        #expect(watcher.next(ofType: "join", timeout: 10, skipped: &skipped)?.name == "Doomed")
        let other = try LineClient.joined(port: nodes[1].tcpPort, name: "Other", room: "r")
        _ = watcher.next(ofType: "join", timeout: 10, skipped: &skipped)
        // kill -9 of the whole node at once: nothing of it says goodbye, so
        // only its lease running out tells the others.
        let killedAt = MachatProcess.now()
        for pid in nodes[2].allDescendants() { kill(pid, SIGKILL) }
        kill(nodes[2].pid, SIGKILL)
        #expect(doomed.waitForClose(timeout: 10))
        let leave = watcher.next(ofType: "leave", timeout: 10, skipped: &skipped)
        let waited = MachatProcess.now() - killedAt
        #expect(leave?.name == "Doomed")
        #expect(waited < 5, "leave after \(waited) s")
        print("cluster: a killed node's member left \(Int(waited * 1000)) ms after the kill (lease 2000 ms)")
        other.send("still here\n")
        #expect(watcher.next(ofType: "message", timeout: 10, skipped: &skipped)?.text == "still here")
        // The node restarts; its member comes back under its name.
        nodes[2] = try MachatProcess(["-redis", redis.url, "-redis-lease", "2000"])
        _ = try LineClient.joinedEventually(port: nodes[2].tcpPort, name: "Doomed", room: "r")
        #expect(watcher.next(ofType: "join", timeout: 10, skipped: &skipped)?.name == "Doomed")
        for node in nodes { node.stop() }
    }

    @Test func roomsSpreadOverTwoShardsAndEachKeepsItsOrder() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let first = try RedisProcess()
        let second = try RedisProcess()
        let urls = "\(first.url),\(second.url)"
        let nodes = try (0..<2).map { _ in try MachatProcess(["-redis", urls]) }
        let rooms = (0..<8).map { "room\($0)" }
        var pairs: [(LineClient, LineClient)] = []
        for room in rooms {
            let a = try LineClient.joined(port: nodes[0].tcpPort, name: "a", room: room)
            let b = try LineClient.joined(port: nodes[1].tcpPort, name: "b", room: room)
            #expect(a.readLine()?.hasPrefix("b:probe-") == true)
            pairs.append((a, b))
        }
        for (a, b) in pairs {
            for i in 0..<50 {
                a.send("a\(i)\n")
                b.send("b\(i)\n")
            }
        }
        for (a, b) in pairs {
            let seenA = a.readLines(100, timeout: 15)
            let seenB = b.readLines(100, timeout: 15)
            #expect(seenA.count == 100)
            #expect(seenA == seenB)
        }
        let onFirst = first.cli("--scan", "--pattern", "machat:m:*").split(separator: "\n").count
        let onSecond = second.cli("--scan", "--pattern", "machat:m:*").split(separator: "\n").count
        #expect(onFirst + onSecond == rooms.count)
        #expect(onFirst > 0 && onSecond > 0, "rooms on shard 1: \(onFirst), shard 2: \(onSecond)")
        for node in nodes { #expect(node.stop() == 0) }
    }

    @Test func cuttingTheSubscriberConnectionsUnderTrafficLosesNothing() throws {
        try #require(RedisProcess.isAvailable, "redis-server is required: apt-get install redis-server")
        let redis = try RedisProcess()
        let nodes = try Self.cluster(redis, nodes: 2)
        let reader = try JSONChatClient(.webSocket, server: nodes[1], name: "Reader", room: "gap")
        #expect(reader.next(timeout: 10)?.type == "welcome")
        let sender = try LineClient.joined(port: nodes[0].tcpPort, name: "Sender", room: "gap")
        let count = 2000
        for i in 0..<count {
            sender.send("\(i)\n")
            if i == 500 || i == 1200 { redis.cli("CLIENT", "KILL", "TYPE", "pubsub") }
            if i % 100 == 0 { usleep(2000) }
        }
        var texts: [String] = []
        while let object = reader.next(timeout: 15) {
            guard object.type == "message", object.name == "Sender", let text = object.text, !text.hasPrefix("probe-") else {
                continue
            }
            texts.append(text)
            if texts.count == count { break }
        }
        #expect(texts == (0..<count).map(String.init))
        for node in nodes { #expect(node.stop() == 0) }
    }
}
