@preconcurrency import Glibc
import Testing

/// Bad input over TCP: one `error:` line, then close, and nobody else notices.
@Suite(.ownThread) struct TCPErrorTests {
    /// Reads the refused client's reply: exactly one `error:` line, then EOF.
    private func expectRefused(
        _ client: LineClient, mentioning word: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let line = client.readLine()
        #expect(
            line?.hasPrefix("error: ") == true, "expected an error line, got \(String(describing: line))",
            sourceLocation: sourceLocation)
        if let word, let line {
            #expect(
                line.lowercased().contains(word), "error line \"\(line)\" should mention \(word)",
                sourceLocation: sourceLocation)
        }
        #expect(client.waitForClose(), "connection should be closed after the error", sourceLocation: sourceLocation)
        #expect(client.readLine(timeout: 0.1) == nil, "nothing may follow the error line", sourceLocation: sourceLocation)
    }

    /// The room still works for its members: each sees the other's line.
    private func expectRoomWorks(
        _ first: LineClient, _ firstName: String, _ second: LineClient, tag: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        first.send("still here \(tag)\n")
        #expect(first.readLine() == "\(firstName):still here \(tag)", sourceLocation: sourceLocation)
        #expect(second.readLine() == "\(firstName):still here \(tag)", sourceLocation: sourceLocation)
    }

    @Test func aDuplicateNameIsRefusedWithAnErrorAndTheRoomKeepsWorking() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "dev")
        _ = mina.readLine()  // Bo's probe

        let impostor = try LineClient(port: server.tcpPort, name: "Mina", room: "dev")
        impostor.send("I am Mina too\n")
        expectRefused(impostor)
        // The impostor's line never reached the room.
        expectRoomWorks(mina, "Mina", bo, tag: "1")
        expectRoomWorks(bo, "Bo", mina, tag: "2")

        // The same name in another room is fine.
        let elsewhere = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "other")
        elsewhere.send("hi\n")
        #expect(elsewhere.readLine() == "Mina:hi")

        // Once the original leaves, the name is free again.
        mina.send("bye\n")
        #expect(bo.readLine() == "Mina:bye")
        shutdown(mina.fd.rawValue, Int32(SHUT_WR))
        #expect(mina.readLine() == "Mina:bye")
        #expect(mina.waitForClose())
        let returning = try LineClient.joinedEventually(port: server.tcpPort, name: "Mina", room: "dev", timeout: 10)
        #expect(bo.readLine()?.hasPrefix("Mina:probe-") == true)
        returning.send("back\n")
        #expect(bo.readLine() == "Mina:back")
        #expect(server.stop() == 0)
    }

    @Test func malformedJoinsAreRefusedWithAnErrorAndClose() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "dev")
        _ = mina.readLine()  // Bo's probe
        let badJoins = [
            "not json\n",
            "{\"name\":\"Eve\",\"room\":}\n",
            "{\"name\":\"Eve\"}\n",
            "{\"room\":\"dev\"}\n",
            "{\"name\":\"\",\"room\":\"dev\"}\n",
            "{\"name\":\"Eve\",\"room\":\"\"}\n",
            "{\"name\":42,\"room\":\"dev\"}\n",
            "[\"Eve\",\"dev\"]\n",
            "{\"name\":\"Eve\\u0007\",\"room\":\"dev\"}\n",
            "{\"name\":\"\(String(repeating: "e", count: 65))\",\"room\":\"dev\"}\n",
            "{\"name\":\"Eve\",\"room\":\"\(String(repeating: "r", count: 65))\"}\n",
        ]
        for (index, join) in badJoins.enumerated() {
            let eve = try LineClient(port: server.tcpPort)
            eve.send(join + "hello\n")
            expectRefused(eve)
            expectRoomWorks(mina, "Mina", bo, tag: "\(index)")
        }
        #expect(server.stop() == 0)
    }

    @Test func aNameWithAColonIsRefusedSoNobodyCanImpersonateAnother() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let eve = try LineClient(port: server.tcpPort, name: "Mina:I quit", room: "dev")
        eve.send("sorry\n")
        expectRefused(eve, mentioning: ":")
        mina.send("still here\n")
        #expect(mina.readLine() == "Mina:still here")
        #expect(server.stop() == 0)
    }

    @Test func anOverLongLineIsRefusedWithAnErrorAndTheRoomKeepsWorking() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "dev")
        let flooder = try LineClient.joined(port: server.tcpPort, name: "Flo", room: "dev")
        #expect(mina.readLines(2).count == 2)  // Bo's and Flo's probes
        #expect(bo.readLine()?.hasPrefix("Flo:probe-") == true)

        flooder.send("short first\n" + String(repeating: "y", count: 65537) + "\n")
        // The gateway may refuse before the short line's echo is back, so the
        // flooder gets the error line alone.
        let reply = flooder.readLine()
        #expect(
            reply == "Flo:short first" || reply?.hasPrefix("error: line longer than") == true, "got \(String(describing: reply))")
        if reply == "Flo:short first" { expectRefused(flooder, mentioning: "long") } else { #expect(flooder.waitForClose()) }
        // The room saw the short line, nothing of the long one, and goes on.
        #expect(mina.readLine() == "Flo:short first")
        #expect(bo.readLine() == "Flo:short first")
        expectRoomWorks(mina, "Mina", bo, tag: "after")

        // A line that never ends is cut off at the limit too, without a newline.
        let endless = try LineClient.joined(port: server.tcpPort, name: "End", room: "dev")
        #expect(mina.readLine()?.hasPrefix("End:probe-") == true)
        #expect(bo.readLine()?.hasPrefix("End:probe-") == true)
        endless.send(String(repeating: "z", count: 200_000))
        expectRefused(endless, mentioning: "long")
        expectRoomWorks(bo, "Bo", mina, tag: "end")
        #expect(server.stop() == 0)
    }
}
