@preconcurrency import Glibc
import Testing

/// After a router restart, a name taken before the crash stays with its
/// member: replayed joins are handled before joins made during the outage.
@Suite(.ownThread) struct RouterRestartConflictTests {
    @Test func establishedMemberKeepsItsNameOverANewcomerWhoJoinedDuringTheOutage() throws {
        let server = try MachatProcess(tcpGateways: 1, wsGateways: 1)
        let router = try #require(server.children(named: "machat-router").first)
        let xena = try LineClient.joined(port: server.tcpPort, name: "Xena", room: "r")
        let witness = try LineClient.joined(port: server.tcpPort, name: "Wit", room: "r")
        _ = xena.readLine()  // Wit's probe

        // Hold the supervisor so the router stays down while the newcomer joins.
        #expect(kill(server.pid, SIGSTOP) == 0)
        defer { kill(server.pid, SIGCONT) }
        #expect(kill(router, SIGKILL) == 0)
        #expect(server.waitForLog("msg=\"router link lost", count: 2, timeout: 5))
        let newcomer = try WebSocketTestClient(port: server.wsPort, name: "Xena", room: "r")
        #expect(newcomer.refusal == nil)

        #expect(kill(server.pid, SIGCONT) == 0)
        let refusal = newcomer.readText(timeout: 10)
        #expect(
            refusal?.hasPrefix("error: name \"Xena\" is already taken in room \"r\"") == true,
            "got \(String(describing: refusal))")
        #expect(newcomer.waitForClose(timeout: 5))
        #expect(newcomer.closeCode == 1008)

        xena.send("still mine\n")
        #expect(witness.readLines(1) == ["Xena:still mine"])
        #expect(xena.readLines(1) == ["Xena:still mine"])
        #expect(!xena.isClosed && !witness.isClosed)
        #expect(server.stop() == 0)
    }
}
