@preconcurrency import Glibc
import Reactor
import Testing

/// The seed's example flow with the real example clients, driven through
/// their stdin and stdout.
@Suite(.ownThread) struct ExampleClientTests {
    @Test func theExampleWebSocketAndTCPClientsChatInOneRoomAndExitCleanly() throws {
        let server = try MachatProcess()
        let bin = MachatProcess.binaries
        let tcp = try PipedProcess(
            executable: "\(bin)/chattcpclient",
            arguments: ["-client", "Tom", "-room", "lounge", "-address", "127.0.0.1:\(server.tcpPort)"])
        tcp.write("tcp probe\n")
        #expect(tcp.waitForLine("Tom:tcp probe", timeout: 15), "chattcpclient stderr: \(tcp.errorOutput)")

        let web = try PipedProcess(
            executable: "\(bin)/chatwebsocketclient",
            arguments: [
                "-client", "Wanda", "-room", "lounge", "-address", "ws://127.0.0.1:\(server.wsPort)/mychat",
                "-origin", "http://127.0.0.1:\(server.wsPort)",
            ])
        // The WebSocket client is in the room once it prints a line from Tom;
        // Tom knocks until then (typing before that is another test's subject).
        var knocks = 0
        var firstSeen: String?
        let deadline = MachatProcess.now() + 15
        while firstSeen == nil && MachatProcess.now() < deadline {
            tcp.write("knock \(knocks)\n")
            #expect(tcp.readLine() == "Tom:knock \(knocks)")
            knocks += 1
            firstSeen = web.readLine(timeout: 0.1)
        }
        try #require(firstSeen?.hasPrefix("Tom:knock ") == true, "chatwebsocketclient stderr: \(web.errorOutput)")
        // Then it sees every later knock, in order.
        if firstSeen != "Tom:knock \(knocks - 1)" {
            #expect(web.waitForLine("Tom:knock \(knocks - 1)", timeout: 5))
        }
        web.write("web probe\n")
        #expect(web.waitForLine("Wanda:web probe", timeout: 10))
        #expect(tcp.readLine() == "Wanda:web probe")

        web.write("hello from the browser side\n")
        #expect(tcp.readLine() == "Wanda:hello from the browser side")
        #expect(web.readLine() == "Wanda:hello from the browser side")
        tcp.write("hello from the terminal\n")
        #expect(web.readLine() == "Tom:hello from the terminal")
        #expect(tcp.readLine() == "Tom:hello from the terminal")
        for i in 0..<50 { tcp.write("line \(i)\n") }
        let expected = (0..<50).map { "Tom:line \($0)" }
        #expect((0..<50).compactMap { _ in web.readLine() } == expected)
        #expect((0..<50).compactMap { _ in tcp.readLine() } == expected)

        // End of input: both leave cleanly with status 0.
        tcp.closeInput()
        #expect(PipedProcess.exitCode(tcp.waitForExit(timeout: 10)) == 0, "chattcpclient stderr: \(tcp.errorOutput)")
        web.closeInput()
        #expect(PipedProcess.exitCode(web.waitForExit(timeout: 10)) == 0, "chatwebsocketclient stderr: \(web.errorOutput)")
        #expect(server.stop() == 0)
    }

    @Test func theExampleWebSocketClientWithAForeignOriginReportsTheRefusalAndFails() throws {
        let server = try MachatProcess()
        let web = try PipedProcess(
            executable: "\(MachatProcess.binaries)/chatwebsocketclient",
            arguments: [
                "-client", "Wanda", "-address", "127.0.0.1:\(server.wsPort)", "-origin", "http://evil.example",
            ])
        let status = web.waitForExit(timeout: 10)
        #expect(status != nil)
        #expect(PipedProcess.exitCode(status) == 1)
        #expect(web.errorOutput.contains("403"), "stderr: \(web.errorOutput)")
        #expect(server.stop() == 0)
    }

    /// Typing (or piping) lines before the upgrade completes must not lose
    /// them: the client sends them right after its join. A proxy holds the
    /// server's 101 until the client has read its stdin, so the lines are
    /// always there before the upgrade.
    @Test func linesTypedBeforeTheWebSocketUpgradeCompletesAreSentAfterTheJoin() throws {
        let server = try MachatProcess()
        let tcp = try LineClient.joined(port: server.tcpPort, name: "Tom", room: "lounge")
        let proxy = try HandshakeHoldingProxy(targetPort: server.wsPort)
        let web = try PipedProcess(
            executable: "\(MachatProcess.binaries)/chatwebsocketclient",
            arguments: [
                "-client", "Wanda", "-room", "lounge", "-address", "127.0.0.1:\(proxy.port)", "-origin", "",
            ])
        web.write("first\nsecond\n")
        try proxy.forwardRequestAndHoldResponse()
        #expect(MachatProcess.wait(timeout: 10) { web.unreadInput == 0 }, "the client never read its stdin")
        proxy.releaseResponse()
        var received: [String] = []
        let deadline = MachatProcess.now() + 5
        while received.count < 2 && MachatProcess.now() < deadline {
            proxy.pump(timeout: 0.02)
            if let line = tcp.readLine(timeout: 0.01) { received.append(line) }
        }
        #expect(received == ["Wanda:first", "Wanda:second"], "chatwebsocketclient stderr: \(web.errorOutput)")
        web.closeInput()
        while web.waitForExit(timeout: 0.05) == nil && MachatProcess.now() < deadline + 5 { proxy.pump(timeout: 0.02) }
        #expect(PipedProcess.exitCode(web.waitForExit(timeout: 0)) == 0)
        #expect(server.stop() == 0)
    }
}

/// A TCP relay between a client and the WebSocket gateway that can hold the
/// server's handshake response back, to put the client in the state "upgrade
/// requested, not yet answered" for as long as a test needs.
private final class HandshakeHoldingProxy {
    let port: UInt16
    private let listener: FileDescriptor
    private let targetPort: UInt16
    private var client: FileDescriptor?
    private var server: FileDescriptor?
    private var heldResponse: [UInt8] = []

    init(targetPort: UInt16) throws {
        self.targetPort = targetPort
        listener = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
        port = try Socket.localAddress(listener).port
    }

    deinit {
        client?.close()
        server?.close()
        listener.close()
    }

    /// Accepts the client, passes its HTTP request to the gateway and keeps
    /// the gateway's response.
    func forwardRequestAndHoldResponse() throws {
        let deadline = MachatProcess.now() + 10
        while client == nil && MachatProcess.now() < deadline {
            var pfd = pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 100)
            if case .done(let fd) = try Socket.accept(listener) { client = fd }
        }
        guard let client else { throw HarnessError(description: "the client never connected to the proxy") }
        let upstream = try Socket.connectTCP(try SocketAddress.resolve("127.0.0.1:\(targetPort)")[0])
        server = upstream
        let request = try readHead(from: client, deadline: deadline)
        send(request, to: upstream)
        heldResponse = try readHead(from: upstream, deadline: deadline)
    }

    /// Lets the held response through.
    func releaseResponse() {
        if let client { send(heldResponse, to: client) }
        heldResponse = []
    }

    /// Relays whatever is ready in either direction.
    func pump(timeout: Double) {
        guard let client, let server else { return }
        var fds = [
            pollfd(fd: client.rawValue, events: Int16(POLLIN), revents: 0),
            pollfd(fd: server.rawValue, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&fds, 2, Int32(timeout * 1000)) > 0 else { return }
        if fds[0].revents != 0, let bytes = receive(client) { send(bytes, to: server) }
        if fds[1].revents != 0, let bytes = receive(server) { send(bytes, to: client) }
    }

    private func readHead(from fd: FileDescriptor, deadline: Double) throws -> [UInt8] {
        var head: [UInt8] = []
        let end = Array("\r\n\r\n".utf8)
        while MachatProcess.now() < deadline {
            var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            // One byte at a time, so nothing after the head is taken.
            var byte: UInt8 = 0
            let n = recv(fd.rawValue, &byte, 1, Int32(MSG_DONTWAIT))
            if n == 0 { break }
            if n < 0 { continue }
            head.append(byte)
            if head.count >= 4 && Array(head.suffix(4)) == end { return head }
        }
        throw HarnessError(description: "no complete HTTP head: \(String(decoding: head, as: UTF8.self))")
    }

    private func receive(_ fd: FileDescriptor) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n > 0 ? Array(chunk[0..<n]) : nil
    }

    private func send(_ bytes: [UInt8], to fd: FileDescriptor) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
            } else {
                return
            }
        }
    }
}
