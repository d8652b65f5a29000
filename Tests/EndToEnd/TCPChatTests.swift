@preconcurrency import Glibc
import Testing

/// The TCP chat protocol end to end: joins, lines, rooms, framing.
@Suite(.ownThread) struct TCPChatTests {
    @Test func threeMembersSendingAtOnceAllSeeOneOrderWithEachSendersLinesInSequence() throws {
        let server = try MachatProcess()
        let names = ["Ana", "Ben", "Cy"]
        var members: [LineClient] = []
        for name in names {
            let member = try LineClient.joined(port: server.tcpPort, name: name, room: "busy")
            // Earlier members see the newcomer's probe; take it out of the way.
            for earlier in members { #expect(earlier.readLine()?.hasPrefix("\(name):probe-") == true) }
            members.append(member)
        }
        let count = 200
        for i in 0..<count {
            for (index, member) in members.enumerated() { member.send("\(names[index]) says \(i)\n") }
        }
        let seen = members.map { $0.readLines(count * names.count, timeout: 20) }
        #expect(seen[0].count == count * names.count)
        // One total order per room: everybody sees the same sequence.
        #expect(seen[1] == seen[0])
        #expect(seen[2] == seen[0])
        for name in names {
            let own = seen[0].filter { $0.hasPrefix("\(name):") }
            #expect(own == (0..<count).map { "\(name):\(name) says \($0)" })
        }
        #expect(server.stop() == 0)
    }

    @Test func aLineInOneRoomNeverReachesAnotherRoom() throws {
        let server = try MachatProcess()
        let alice = try LineClient.joined(port: server.tcpPort, name: "Alice", room: "a")
        let bob = try LineClient.joined(port: server.tcpPort, name: "Bob", room: "b")
        // A member of room "a" with the same name as Bob's: names are per room.
        let otherBob = try LineClient.joined(port: server.tcpPort, name: "Bob", room: "a")
        #expect(alice.readLine()?.hasPrefix("Bob:probe-") == true)
        for round in 0..<20 {
            alice.send("secret \(round)\n")
            // Once Alice has her own line back, the router has fanned it out;
            // anything leaking into room "b" would be queued before the sentinel.
            #expect(alice.readLine() == "Alice:secret \(round)")
            #expect(otherBob.readLine() == "Alice:secret \(round)")
            bob.send("sentinel \(round)\n")
            #expect(bob.readLine() == "Bob:sentinel \(round)")
        }
        // And room "a" never hears room "b": its next line is its own.
        otherBob.send("last\n")
        #expect(alice.readLine() == "Bob:last")
        #expect(server.stop() == 0)
    }

    @Test func aLineSentInTheSamePacketAsTheJoinArrives() throws {
        let server = try MachatProcess()
        let watcher = try LineClient.joined(port: server.tcpPort, name: "Watcher", room: "packet")

        let withNewline = try LineClient(port: server.tcpPort)
        withNewline.send("{\"name\":\"Nel\",\"room\":\"packet\"}\nhello\nsecond\n")
        #expect(withNewline.readLines(2) == ["Nel:hello", "Nel:second"])
        #expect(watcher.readLines(2) == ["Nel:hello", "Nel:second"])

        let glued = try LineClient(port: server.tcpPort)
        glued.send("{\"name\":\"Glu\",\"room\":\"packet\"}hello\n")
        #expect(glued.readLine() == "Glu:hello")
        #expect(watcher.readLine() == "Glu:hello")

        // Whitespace right after the object, up to the newline, belongs to the join.
        let spaced = try LineClient(port: server.tcpPort)
        spaced.send("{\"name\" : \"Spa\", \"room\" : \"packet\"}  \r\nhi there\n")
        #expect(spaced.readLine() == "Spa:hi there")
        #expect(watcher.readLine() == "Spa:hi there")
        #expect(server.stop() == 0)
    }

    @Test func aJoinSplitOverManySendsWithEscapesAndNonASCIINameIsDecoded() throws {
        let server = try MachatProcess()
        let watcher = try LineClient.joined(port: server.tcpPort, name: "Watcher", room: "dev")

        // `\u00eb` is ë and `d\u0065v` is "dev"; the splits fall inside the
        // escapes. Pauses make each piece a separate read at the gateway.
        let escaped = try LineClient(port: server.tcpPort)
        for piece in ["{\"na", "me\":\"Zo\\u0", "0eb\",\"ro", "om\":\"d\\u00", "65v\"", "}", "\n", "hi\n"] {
            escaped.send(piece)
            usleep(20_000)
        }
        #expect(escaped.readLine() == "Zoë:hi")
        #expect(watcher.readLine() == "Zoë:hi")

        // Raw UTF-8, split in the middle of a two-byte character, plus a
        // quote escape in the room name.
        let raw = try LineClient(port: server.tcpPort)
        let join = Array("{\"name\":\"Jürgen\",\"room\":\"say \\\"hi\\\"\"}\n".utf8)
        let middle = join.firstIndex(of: 0xC3)! + 1
        raw.send(Array(join[..<middle]))
        usleep(20_000)
        raw.send(Array(join[middle...]))
        raw.send("grüß dich\n")
        #expect(raw.readLine() == "Jürgen:grüß dich")
        // (`joined` does not escape: pass the room as it appears in JSON.)
        let peer = try LineClient.joined(port: server.tcpPort, name: "Peer", room: "say \\\"hi\\\"")
        #expect(raw.readLine()?.hasPrefix("Peer:probe-") == true)
        raw.send("again\n")
        #expect(peer.readLine() == "Jürgen:again")
        #expect(server.stop() == 0)
    }

    @Test func crlfLineEndingsAreStripped() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "crlf")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "crlf")
        _ = mina.readLine()  // Bo's probe
        mina.send("one\r\ntwo\r\n")
        mina.send("thr")
        mina.send("ee\r")
        mina.send("\n")
        #expect(bo.readLines(3) == ["Mina:one", "Mina:two", "Mina:three"])
        #expect(mina.readLines(3) == ["Mina:one", "Mina:two", "Mina:three"])
        #expect(server.stop() == 0)
    }

    @Test func aLineOfExactlyTheLimitIsDelivered() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "big")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "big")
        _ = mina.readLine()  // Bo's probe
        let line = String(repeating: "x", count: 65536)
        mina.send(line + "\n")
        let received = bo.readLine(timeout: 10)
        #expect(received?.count == 5 + 65536)
        #expect(received == "Mina:" + line)
        #expect(mina.readLine(timeout: 10) == "Mina:" + line)
        mina.send("after\n")
        #expect(bo.readLine() == "Mina:after")
        #expect(server.stop() == 0)
    }
}
