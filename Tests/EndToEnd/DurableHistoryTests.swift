@preconcurrency import Glibc
import Foundation
import Reactor
import Testing

/// History that survives restarts: the SQLite store beside the router, what
/// a kill -9 of router or store does to acknowledged lines, a full disk, a
/// corrupt file, and `machat history`.
@Suite(.ownThread) struct DurableHistoryTests {
    /// A fresh data directory for one test, removed at the end.
    final class DataDirectory {
        let path: String
        init() {
            var template = Array("/tmp/machat-e2e-data-XXXXXX".utf8CString)
            path = String(cString: mkdtemp(&template)!)
        }
        deinit { RuntimeDirectory.remove(path) }
        var database: String { path + "/history.sqlite3" }
    }

    /// Joins `room` with JSON, resuming after `since` under `epoch`, and
    /// returns the welcome and every message up to `through`.
    private static func resume(
        _ server: MachatProcess, room: String, since: Int, epoch: String, through: Int
    ) throws -> (welcome: [String: Any], messages: [[String: Any]]) {
        let reader = try JSONChatClient(
            .tcp, server: server, name: "Reader\(UInt16.random(in: 0...9999))", room: room,
            extra: ["since": since, "epoch": epoch])
        let welcome = try #require(reader.next(timeout: 10))
        return (welcome, reader.messages(through: through, timeout: 20))
    }

    @Test func killingTheRouterThenTheStoreUnderTrafficKeepsEveryLineOnceWithTheSameEpoch() throws {
        let data = DataDirectory()
        let server = try MachatProcess(["-data-dir", data.path])
        let watcher = try JSONChatClient(.webSocket, server: server, name: "Watch", room: "log")
        let epoch = try #require(watcher.next(timeout: 10)?["epoch"] as? String)
        let sender = try LineClient.joined(port: server.tcpPort, name: "Send", room: "log")
        let count = 600
        for i in 0..<count {
            sender.send("\(i)\n")
            if i == 200, let router = server.children(named: "machat-router").first { kill(router, SIGKILL) }
            if i == 400, let store = server.children(named: "machat-store").first { kill(store, SIGKILL) }
            if i % 50 == 0 { usleep(20_000) }
        }
        // The sender sees all of its lines come back (at least once).
        var echoed = Set<String>()
        while echoed.count < count, let line = sender.readLine(timeout: 20) {
            if line.hasPrefix("Send:"), !line.contains("probe-") { echoed.insert(String(line.dropFirst(5))) }
        }
        #expect(echoed.count == count)
        // The log holds each line exactly once, under the epoch it started with.
        let last = count + 1  // the probe was offset 1
        let (welcome, messages) = try Self.resume(server, room: "log", since: 0, epoch: epoch, through: last)
        #expect(welcome["recovered"] as? Bool == true)
        #expect(welcome["epoch"] as? String == epoch)
        let texts = messages.filter { $0.name == "Send" }.compactMap(\.text).filter { !$0.hasPrefix("probe-") }
        #expect(texts.count == count, "the log holds \(texts.count) of \(count) lines")
        #expect(texts == (0..<count).map(String.init))
        #expect(messages.compactMap(\.offset) == Array(1...messages.count))
        #expect(server.stop() == 0)
    }

    @Test func stoppingAndStartingMachatKeepsHistoryOffsetsAndEpochs() throws {
        let data = DataDirectory()
        var epoch = ""
        do {
            let server = try MachatProcess(["-data-dir", data.path])
            let member = try JSONChatClient(.tcp, server: server, name: "Ann", room: "keep")
            epoch = try #require(member.next(timeout: 10)?["epoch"] as? String)
            for i in 1...5 { member.send("before \(i)") }
            #expect(member.messages(through: 5).count == 5)
            #expect(server.stop() == 0)
        }
        let server = try MachatProcess(["-data-dir", data.path])
        #expect(server.log.contains("history loaded from the store"))
        let again = try JSONChatClient(
            .webSocket, server: server, name: "Ann", room: "keep", extra: ["since": 3, "epoch": epoch])
        let welcome = try #require(again.next(timeout: 10))
        #expect(welcome["recovered"] as? Bool == true)
        #expect(welcome["epoch"] as? String == epoch)
        #expect(welcome.offset == 5)
        #expect(again.next(2).map(\.text) == ["before 4", "before 5"])
        again.send("after")
        #expect(again.next()?.offset == 6)
        #expect(server.stop() == 0)
    }

    @Test func machatHistoryPrintsWhatClientsReceived() throws {
        let data = DataDirectory()
        let server = try MachatProcess(["-data-dir", data.path])
        let member = try JSONChatClient(.tcp, server: server, name: "Zoë", room: "h")
        _ = member.next(timeout: 10)
        for text in ["plain", #"quote " and \ slash"#, "tab\there", "日本語"] { member.send(text) }
        let received = member.messages(through: 4)
        let raw = member.rawMessages.filter { $0.contains(#""type":"message""#) }
        try #require(received.count == 4)
        // Wait until the store has them (each line is committed before its ACK).
        let history = { (arguments: [String]) -> String in
            let cli = try? PipedProcess(
                executable: "\(MachatProcess.binaries)/machat", arguments: ["history", "-data-dir", data.path] + arguments)
            cli?.closeInput()
            return cli?.readToEnd(timeout: 10) ?? ""
        }
        #expect(MachatProcess.wait(timeout: 10) { history(["-room", "h"]).split(separator: "\n").count == 4 })
        #expect(history(["-room", "h", "-json"]).split(separator: "\n").map(String.init) == raw)
        #expect(history(["-room", "h"]) == "Zoë:plain\nZoë:quote \" and \\ slash\nZoë:tab\there\nZoë:日本語\n")
        #expect(history(["-room", "h", "-since", "2", "-limit", "1"]) == "Zoë:tab\there\n")
        #expect(server.stop() == 0)
    }

    @Test func aSecondMachatOnTheSameDataDirectoryRefusesNamingTheFirst() throws {
        let data = DataDirectory()
        let first = try MachatProcess(["-data-dir", data.path])
        let second = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat",
            arguments: ["-tcp", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-data-dir", data.path])
        second.closeInput()
        #expect(PipedProcess.exitCode(second.waitForExit(timeout: 10)) == 1)
        #expect(second.errorOutput.contains("in use by process \(first.pid)"))
        #expect(first.stop() == 0)
    }

    @Test func aCorruptDatabaseFileGivesAClearErrorAtStart() throws {
        let data = DataDirectory()
        do {
            let server = try MachatProcess(["-data-dir", data.path])
            _ = try LineClient.joined(port: server.tcpPort, name: "A", room: "r")
            #expect(server.stop() == 0)
        }
        // Garbage over the file's pages after the header.
        let file = fopen(data.database, "r+")!
        fseek(file, 4096, SEEK_SET)
        let garbage = [UInt8](repeating: 0xA5, count: 8192)
        _ = garbage.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        let broken = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat",
            arguments: ["-tcp", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-data-dir", data.path])
        broken.closeInput()
        #expect(PipedProcess.exitCode(broken.waitForExit(timeout: 20)) == 1)
        #expect(broken.errorOutput.contains("cannot use its database"), "\(broken.errorOutput)")
    }

    @Test func aFullDiskRefusesLinesPastTheBoundAndChatGoesOnOnceThereIsSpace() throws {
        let data = DataDirectory()
        // A database capped at 512 KiB, and a smaller bound (64 KiB) for lines
        // waiting at the gateway: the disk fills, then the backlog.
        let server = try MachatProcess([
            "-data-dir", data.path, "-max-db-bytes", "524288", "-held-per-gateway", "65536", "-held-per-connection", "65536",
            "-metrics", "127.0.0.1:0",
        ])
        let metrics = try #require(MetricsScrape.port(in: server.log))
        func health() -> String { (try? MetricsScrape.fetch(port: metrics, path: "/healthz").body) ?? "" }
        #expect(MachatProcess.wait(timeout: 5) { health() == "ok\n" })
        let up = try MetricsScrape.fetch(port: metrics)
        #expect(up.value("machat_child_up{process=\"store\"}") == 1)
        #expect(up.value("machat_backing_up{process=\"router\"}") == 1)
        let sender = try LineClient.joined(port: server.tcpPort, name: "Big", room: "full")
        let line = String(repeating: "x", count: 2000)
        var refused = false
        for i in 0..<1000 where !refused {
            sender.send("\(i) \(line)\n")
            while let reply = sender.readLine(timeout: 0.05) {
                if reply.hasPrefix("error: message not accepted") { refused = true }
            }
        }
        #expect(refused, "past the bound the sender is told its line was not accepted")
        #expect(server.waitForLog("history store cannot commit"))
        #expect(server.children(named: "machat-store").count == 1)
        // The node says so: out of the load balancer while it cannot commit.
        let failing = "router cannot commit to Redis or the history store\n"
        #expect(MachatProcess.wait(timeout: 5) { health() == failing }, "healthz: \(health())")
        #expect(try MetricsScrape.fetch(port: metrics).value("machat_backing_up{process=\"router\"}") == 0)
        // Space comes back: delete lines with Python's sqlite3 while it runs.
        let python = try PipedProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=10); c.execute('DELETE FROM chunks'); c.commit(); c.close()",
                data.database,
            ])
        python.closeInput()
        #expect(PipedProcess.exitCode(python.waitForExit(timeout: 20)) == 0, "\(python.errorOutput)")
        #expect(server.waitForLog("history store commits again", timeout: 20))
        sender.send("after space\n")
        var seen = false
        while let reply = sender.readLine(timeout: 10) {
            if reply == "Big:after space" {
                seen = true
                break
            }
        }
        #expect(seen)
        #expect(MachatProcess.wait(timeout: 5) { health() == "ok\n" }, "healthz: \(health())")
        let after = try MetricsScrape.fetch(port: metrics)
        #expect((after.value("machat_backing_round_trip_seconds_count{process=\"router\"}") ?? 0) >= 1)
        // And it is in the database: stored, not only delivered.
        let stored = MachatProcess.wait(timeout: 20) {
            let cli = try? PipedProcess(
                executable: "\(MachatProcess.binaries)/machat", arguments: ["history", "-data-dir", data.path, "-room", "full"])
            cli?.closeInput()
            return (cli?.readToEnd(timeout: 10) ?? "").contains("Big:after space")
        }
        #expect(stored)
        #expect(server.stop() == 0)
    }
}
