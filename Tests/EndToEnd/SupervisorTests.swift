@preconcurrency import Glibc
import Reactor
import Testing

/// `machat` as a supervisor: restarts, shutdown, flags, side-by-side instances.
@Suite(.ownThread) struct SupervisorTests {
    /// True once `pid` is no longer a live process (gone or a zombie).
    private static func isGone(_ pid: pid_t) -> Bool {
        let stat = MachatProcess.read("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    @Test func aKilledTCPGatewayIsRestartedAndNewClientsCanChat() throws {
        let server = try MachatProcess()
        let ws = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "dev")
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        #expect(ws.readText()?.hasPrefix("Mina:probe-") == true)
        let gateways = server.children(named: "machat-tcp-gateway")
        try #require(gateways.count == 1)

        kill(gateways[0], SIGKILL)
        #expect(mina.waitForClose(), "the killed gateway's client should get EOF")
        #expect(
            MachatProcess.wait(timeout: 15) {
                let now = server.children(named: "machat-tcp-gateway")
                return now.count == 1 && now[0] != gateways[0]
            }, "machat should start a new TCP gateway")
        #expect(server.waitForLog("msg=\"gateway ready\"", count: 3, timeout: 15))

        // The router dropped the dead gateway's members, so the name is free;
        // the listening socket stayed with machat, so connecting just works.
        let again = try LineClient.joinedEventually(port: server.tcpPort, name: "Mina", room: "dev")
        let bo = try LineClient.joined(port: server.tcpPort, name: "Bo", room: "dev")
        #expect(again.readLine()?.hasPrefix("Bo:probe-") == true)
        again.send("back again\n")
        #expect(again.readLine() == "Mina:back again")
        #expect(bo.readLine() == "Mina:back again")
        // The WebSocket member on the other gateway stayed in the room throughout.
        var webTexts: [String] = []
        while let text = ws.readText(), text != "Mina:back again\n" { webTexts.append(text) }
        #expect(webTexts.allSatisfy { $0.contains(":probe-") }, "unexpected deliveries \(webTexts)")
        ws.sendText("web is fine")
        #expect(bo.readLine() == "Web:web is fine")
        #expect(server.stop() == 0)
    }

    @Test func sigtermExitsZeroAndLeavesNoProcessOrRuntimeDirectoryBehind() throws {
        let server = try MachatProcess(tcpGateways: 2, wsGateways: 1)
        let mina = try LineClient.joined(port: server.tcpPort, name: "Mina", room: "dev")
        let web = try WebSocketTestClient.joined(port: server.wsPort, name: "Web", room: "dev")
        let children = server.allDescendants()
        #expect(children.count == 4, "router, two TCP gateways, one WebSocket gateway: \(children)")
        #expect(access(server.runtimeDirectory, F_OK) == 0)

        #expect(server.stop() == 0)
        #expect(MachatProcess.wait(timeout: 5) { children.allSatisfy(Self.isGone) }, "children left running")
        #expect(server.allDescendants().isEmpty)
        #expect(access(server.runtimeDirectory, F_OK) != 0, "runtime directory \(server.runtimeDirectory) left behind")
        // Clients were told: TCP gets EOF, WebSocket gets close 1001 (going away).
        #expect(mina.waitForClose())
        #expect(web.waitForClose())
        #expect(web.closeCode == 1001)
        #expect(server.log.contains("proc=machat"))
    }

    @Test func aPortInUseMakesMachatExitNonZeroWithAClearLogLine() throws {
        let taken = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
        defer { taken.close() }
        let port = try Socket.localAddress(taken).port
        let runtime = "/tmp/machat-e2e-inuse-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let machat = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat",
            arguments: ["-tcp", "127.0.0.1:\(port)", "-ws", "127.0.0.1:0", "-data-dir", "none", "-runtime-dir", runtime])
        machat.closeInput()
        let status = machat.waitForExit(timeout: 10)
        try #require(status != nil, "machat kept running although its port is taken")
        #expect(PipedProcess.exitCode(status) != 0)
        #expect(PipedProcess.exitCode(status) != nil, "machat should exit, not die of a signal")
        let log = machat.errorOutput
        #expect(log.contains("level=error"))
        #expect(log.contains("in use"), "log should say the address is in use: \(log)")
        #expect(log.contains("127.0.0.1:\(port)"), "log should name the address: \(log)")
        #expect(access(runtime, F_OK) != 0, "runtime directory left behind")
        RuntimeDirectory.remove(runtime)
    }

    @Test func twoInstancesRunSideBySideWithIndependentRooms() throws {
        let one = try MachatProcess()
        let two = try MachatProcess()
        #expect(one.tcpPort != two.tcpPort)
        #expect(one.runtimeDirectory != two.runtimeDirectory)
        // The same name in the same room on both: no clash, no crosstalk.
        let minaOne = try LineClient.joined(port: one.tcpPort, name: "Mina", room: "dev")
        let minaTwo = try LineClient.joined(port: two.tcpPort, name: "Mina", room: "dev")
        let boOne = try LineClient.joined(port: one.tcpPort, name: "Bo", room: "dev")
        #expect(minaOne.readLine()?.hasPrefix("Bo:probe-") == true)
        for i in 0..<10 {
            minaOne.send("one \(i)\n")
            #expect(minaOne.readLine() == "Mina:one \(i)")
            #expect(boOne.readLine() == "Mina:one \(i)")
            minaTwo.send("two \(i)\n")
            #expect(minaTwo.readLine() == "Mina:two \(i)")
        }
        // Stopping one leaves the other running.
        #expect(one.stop() == 0)
        minaTwo.send("still up\n")
        #expect(minaTwo.readLine() == "Mina:still up")
        #expect(access(two.runtimeDirectory, F_OK) == 0)
        #expect(two.stop() == 0)
    }

    @Test func helpExitsZeroAndListsTheTCPAndWebSocketFlags() throws {
        let machat = try PipedProcess(executable: "\(MachatProcess.binaries)/machat", arguments: ["-h"])
        machat.closeInput()
        let output = machat.readToEnd(timeout: 10)
        let status = machat.waitForExit(timeout: 10)
        #expect(PipedProcess.exitCode(status) == 0)
        let text = output + machat.errorOutput
        #expect(text.contains("-tcp "), "help: \(text)")
        #expect(text.contains("-ws "), "help: \(text)")
        #expect(text.contains("8989"))
        #expect(text.contains("8099"))
    }
}
