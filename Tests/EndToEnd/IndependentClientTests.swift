import Testing

/// Interoperability with a WebSocket client we did not write: Python's
/// `websockets` (PyPI), chatting with a TCP member.
@Suite(.ownThread) struct IndependentClientTests {
    @Test func pythonWebsocketsClientAndATCPMemberSeeEachOthersLines() throws {
        try #require(
            PythonWebSocketClient.isAvailable,
            "python3 with the 'websockets' package is required for this test: pip install websockets")
        let server = try MachatProcess()
        let python = try PythonWebSocketClient.start(url: "ws://127.0.0.1:\(server.wsPort)/mychat", name: "Py", room: "mixed")
        // Once Python sees its own probe, it is in the room.
        python.write("py-probe\n")
        #expect(python.waitForLine("Py:py-probe", timeout: 15), "python stderr: \(python.errorOutput)")

        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tcp", room: "mixed")
        #expect(python.readLine()?.hasPrefix("Tcp:probe-") == true)
        let count = 100
        for i in 0..<count {
            python.write("py \(i) ünïcode\n")
            tcp.send("tcp \(i)\n")
        }
        var pythonSaw: [String] = []
        for _ in 0..<(2 * count) {
            guard let line = python.readLine(timeout: 10) else { break }
            pythonSaw.append(line)
        }
        let tcpSaw = tcp.readLines(2 * count, timeout: 15)
        #expect(pythonSaw.count == 2 * count, "python stderr: \(python.errorOutput)")
        #expect(pythonSaw == tcpSaw)
        #expect(tcpSaw.filter { $0.hasPrefix("Py:") } == (0..<count).map { "Py:py \($0) ünïcode" })
        #expect(pythonSaw.filter { $0.hasPrefix("Tcp:") } == (0..<count).map { "Tcp:tcp \($0)" })

        // End of input: Python closes normally and exits 0; the room goes on.
        python.closeInput()
        #expect(PipedProcess.exitCode(python.waitForExit(timeout: 15)) == 0, "python stderr: \(python.errorOutput)")
        tcp.send("after python\n")
        #expect(tcp.readLine() == "Tcp:after python")
        #expect(server.stop() == 0)
    }
}
