import Testing

/// The basic promise over TCP: every member gets every line, sender included.
@Suite(.ownThread) struct ChatFlowTests {
    @Test func twoMembersReceiveEveryLineInOrder() throws {
        let server = try MachatProcess()
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "dev")
        _ = mina.readLine()  // Bo's probe
        for i in 0..<300 { mina.send("line \(i)\n") }
        let expected = (0..<300).map { "Mina:line \($0)" }
        #expect(mina.readLines(300) == expected)
        #expect(bo.readLines(300) == expected)
        #expect(server.stop() == 0)
    }
}
