@preconcurrency import Glibc
import Foundation
import Testing

/// The JSON client format end to end: presence, the welcome's member list,
/// mixed rooms, errors, and every object checked by an independent parser.
@Suite(.ownThread) struct JSONFormatTests {
    @Test func presenceEventsAndTheWelcomeMemberListCoverEveryGatewayAndFormat() throws {
        let server = try MachatProcess()
        var seed: LineClient? = try LineClient.joined(port: server.tcpPort, name: "Zed", room: "p")
        let watcher = try JSONChatClient(.webSocket, server: server, name: "Ann", room: "p", extra: ["presence": true])
        let welcome = try #require(watcher.next())
        #expect(welcome["members"] as? [String] == ["Ann", "Zed"])
        #expect(welcome["name"] as? String == "Ann")

        let tcpJSON = try JSONChatClient(.tcp, server: server, name: "Bo", room: "p", extra: ["presence": true])
        #expect(tcpJSON.next()?["members"] as? [String] == ["Ann", "Bo", "Zed"])
        let joinEvent = try #require(watcher.next())
        #expect(joinEvent.type == "join")
        #expect(joinEvent.name == "Bo")
        #expect((joinEvent["time"] as? Int ?? 0) > 1_700_000_000_000)

        // The seed client hangs up: both JSON members hear it leave.
        #expect(seed != nil)
        seed = nil
        for client in [watcher, tcpJSON] {
            let leave = try #require(client.next())
            #expect(leave.type == "leave")
            #expect(leave.name == "Zed")
        }
        tcpJSON.send("bye")
        var skipped: [[String: Any]] = []
        #expect(watcher.next(ofType: "message", skipped: &skipped)?.text == "bye")
        #expect(skipped.isEmpty)
        // A member never sees its own join: Bo's first object after the welcome was Zed leaving.
        #expect(server.stop() == 0)
    }

    @Test func aMixedRoomOfSeedTCPAndJSONWebSocketMembersSeesOneOrder() throws {
        let server = try MachatProcess()
        let seed = try LineClient.joined(port: server.tcpPort, name: "Seed", room: "mix")
        let wsJSON = try JSONChatClient(.webSocket, server: server, name: "Web", room: "mix")
        let tcpJSON = try JSONChatClient(.tcp, server: server, name: "Tj", room: "mix")
        let wsText = try WebSocketTestClient.joined(port: server.wsPort, name: "Wt", room: "mix")
        #expect(wsJSON.next()?.type == "welcome")
        #expect(tcpJSON.next()?.type == "welcome")
        // Everyone has the others' probes settled once each sees Wt's probe.
        #expect(seed.readLine()?.hasPrefix("Wt:probe-") == true)
        _ = wsJSON.messages(through: 2)
        _ = tcpJSON.messages(through: 2)
        let count = 150
        for i in 0..<count {
            seed.send("s\(i)\n")
            wsJSON.send("w\(i)")
            tcpJSON.send("t\(i)")
            wsText.sendText("x\(i)")
        }
        let total = 4 * count
        let seedSaw = seed.readLines(total, timeout: 20)
        let wsTextSaw = wsText.readTexts(total, timeout: 20).map { String($0.dropLast()) }
        let webSaw = wsJSON.next(total, timeout: 20)
        let tcpSaw = tcpJSON.next(total, timeout: 20)
        #expect(seedSaw.count == total)
        #expect(wsTextSaw == seedSaw)
        for saw in [webSaw, tcpSaw] {
            #expect(saw.map { "\($0.name ?? "?"):\($0.text ?? "?")" } == seedSaw)
            let offsets = saw.compactMap(\.offset)
            #expect(offsets == Array((offsets.first ?? 0)..<((offsets.first ?? 0) + total)))
        }
        #expect(webSaw.compactMap(\.offset) == tcpSaw.compactMap(\.offset))
        #expect(server.stop() == 0)
    }

    @Test func joinErrorsComeAsJSONObjectsWhenTheJoinAskedForJSON() throws {
        let server = try MachatProcess()
        let cases: [([String: Any], String)] = [
            (
                ["name": "A", "room": "r", "format": "json", "history": -1],
                #""history" must be a whole number from 0 to 1000000"#
            ),
            (
                ["name": "A", "room": "r", "format": "json", "since": 4],
                #""since" needs "epoch": send both, as the welcome and messages gave them"#
            ),
            (["name": "A:b", "room": "r", "format": "json"], "name must not contain ':'"),
        ]
        for transport in [JSONChatClient.Transport.tcp, .webSocket] {
            for (join, message) in cases {
                let client = try JSONChatClient(transport, server: server, join: join)
                let error = try #require(client.next())
                #expect(error.type == "error")
                #expect(error["message"] as? String == message)
                #expect(client.waitForClose())
                if transport == .webSocket { #expect(client.closeCode == 1008) }
            }
            let unknownFormat = try JSONChatClient(transport, server: server, join: ["name": "A", "room": "r", "format": "xml"])
            #expect(unknownFormat.nextRaw() == #"error: "format" must be "text" or "json""#)
        }
        let holder = try JSONChatClient(.tcp, server: server, name: "Taken", room: "r")
        #expect(holder.next()?.type == "welcome")
        let second = try JSONChatClient(.webSocket, server: server, name: "Taken", room: "r")
        #expect(second.next()?["message"] as? String == #"name "Taken" is already taken in room "r"; pick another name"#)
        #expect(server.stop() == 0)
    }

    /// What a TCP line can hold: quotes, backslashes, every control byte but
    /// the newline, non-ASCII, the JavaScript line separators.
    static let hostileTexts: [String] = {
        var texts = [
            #"<img src=x onerror=alert(1)>"#, #"quote " and \ backslash \\ "#, "tab\tcr\rbell\u{07}nul\u{0}esc\u{1B}",
            "del\u{7F} c1\u{85}\u{9F}", "ünïcödé 日本語 😀 \u{2028}sep\u{2029}", #"{"type":"welcome"}"#, "", " ", "\\u0000",
        ]
        texts.append(String((1..<32).filter { $0 != 10 }.map { Character(Unicode.Scalar($0)!) }))
        return texts
    }()

    @Test func pythonsJSONParsesEveryObjectAJSONClientGetsHostileTextsIncluded() throws {
        try #require(PipedProcess.pythonHasModule("json"), "python3 is required for this test")
        let server = try MachatProcess()
        let name = #"Zoë "the" \ one"#
        let tcp = try JSONChatClient(.tcp, server: server, name: name, room: #"r"o\om"#, extra: ["presence": true])
        // Welcomed before Wé joins (the two gateways race to the router
        // otherwise, and Wé would be in the welcome's members instead of
        // arriving as a join event).
        #expect(tcp.next()?.type == "welcome")
        let ws = try JSONChatClient(.webSocket, server: server, name: "Wé", room: #"r"o\om"#, extra: ["presence": true])
        _ = tcp.next()  // Wé's join
        _ = ws.next()
        let raw = try LineClient(port: server.tcpPort)
        raw.send(#"{"name":"Raw","room":"r\"o\\om","format":"json"}"# + "\n")
        for text in Self.hostileTexts { raw.send(text + "\n") }
        // A WebSocket message is split into lines, and an empty message holds none.
        let webTexts = Self.hostileTexts.filter { !$0.isEmpty }
        for text in webTexts { ws.send(text) }
        let expectedCount = 1 + Self.hostileTexts.count + webTexts.count  // Raw's join event, then the lines
        _ = tcp.next(expectedCount, timeout: 15)
        #expect(tcp.rawMessages.count == 2 + expectedCount)

        // Python decodes every raw line and prints each text as hex: an
        // independent parser must see exactly the bytes that were sent.
        let script = """
            import json, sys
            for line in sys.stdin.buffer.read().decode("utf-8").split("\\n"):
                if not line:
                    continue
                obj = json.loads(line)
                hexed = [obj.get(key, "").encode("utf-8").hex() for key in ("name", "text", "room")]
                print(obj["type"], *hexed)
            """
        let python = try PipedProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script])
        python.write(tcp.rawMessages.joined(separator: "\n") + "\n")
        python.closeInput()
        let output = python.readToEnd(timeout: 15).split(separator: "\n").map(String.init)
        #expect(PipedProcess.exitCode(python.waitForExit(timeout: 10)) == 0)
        #expect(output.count == tcp.rawMessages.count)
        func hex(_ text: String) -> String { Data(text.utf8).map { String(format: "%02x", $0) }.joined() }
        let messages = output.filter { $0.hasPrefix("message ") }.map {
            $0.split(separator: " ", omittingEmptySubsequences: false)
        }
        // Two senders on two gateways interleave; each one's lines keep their order.
        #expect(messages.filter { $0[1] == hex("Raw") }.map { String($0[2]) } == Self.hostileTexts.map(hex))
        #expect(messages.filter { $0[1] == hex("Wé") }.map { String($0[2]) } == webTexts.map(hex))
        #expect(messages.allSatisfy { String($0[3]) == hex(#"r"o\om"#) })
        #expect(output.contains { $0 == "join \(hex("Raw")) \(hex("")) \(hex(""))" })
        #expect(output.first == "welcome \(hex(name)) \(hex("")) \(hex(#"r"o\om"#))")
        #expect(server.stop() == 0)
    }
}
