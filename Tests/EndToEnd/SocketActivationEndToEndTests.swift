@preconcurrency import Glibc
import Reactor
import Testing

/// Socket activation without systemd: the test owns the listening sockets,
/// as systemd would, and starts machat on them twice; a client that
/// connects while no machat runs waits in the backlog and gets through.
@Suite(.ownThread) struct SocketActivationEndToEndTests {
    /// `machat` started as systemd starts a socket-activated service: the
    /// sockets as descriptors 3 and 4, LISTEN_FDS=2, LISTEN_FDNAMES=tcp:ws and
    /// LISTEN_PID set to machat's own pid (by a shell that then execs it).
    final class ActivatedMachat {
        let pid: pid_t
        let logPath: String
        let runtimeDirectory: String

        init(tcp: FileDescriptor, ws: FileDescriptor, tag: String) throws {
            let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(tag)"
            logPath = "/tmp/machat-e2e-activated-\(unique).log"
            runtimeDirectory = "/tmp/machat-e2e-activated-\(unique)"
            let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard logFD >= 0 else { throw HarnessError(description: "cannot create \(logPath)") }
            let high = fcntl(logFD, F_DUPFD_CLOEXEC, 10)
            close(logFD)
            defer { close(high) }
            // -tcp and -ws name ports nobody listens on: machat must not bind them.
            let command =
                "LISTEN_PID=$$ exec '\(MachatProcess.binaries)/machat' -runtime-dir '\(runtimeDirectory)'"
                + " -tcp 127.0.0.1:1 -ws 127.0.0.1:1 -data-dir none"
            pid = try ProcessSpawner.spawn(
                executable: "/bin/sh", arguments: ["-c", command],
                environment: ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "tcp:ws"],
                inherit: [(tcp, 3), (ws, 4), (FileDescriptor(rawValue: high), 2)])
            guard MachatProcess.wait(timeout: 20, { log.components(separatedBy: "msg=\"gateway ready\"").count - 1 >= 2 }) else {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
                throw HarnessError(description: "activated machat did not become ready:\n\(log)")
            }
        }

        var log: String { MachatProcess.read(logPath) }

        /// SIGTERM, then its exit status (nil if it had to be killed).
        func stop() -> Int32? {
            kill(pid, SIGTERM)
            var status: Int32?
            _ = MachatProcess.wait(timeout: 15) {
                status = MachatProcess.reap(pid)
                return status != nil
            }
            if status == nil {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
            }
            return status
        }

        deinit {
            if kill(pid, 0) == 0 {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
            }
            RuntimeDirectory.remove(runtimeDirectory)
            unlink(logPath)
        }
    }

    /// A loopback listening socket above descriptor 10 (so passing it as 3 or 4 is a real dup2).
    private static func listener() throws -> (FileDescriptor, UInt16) {
        let fd = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
        let high = FileDescriptor(rawValue: fcntl(fd.rawValue, F_DUPFD_CLOEXEC, 10))
        fd.close()
        return (high, try Socket.localAddress(high).port)
    }

    @Test func machatServesSocketsItInheritsAndARestartRefusesNoConnection() throws {
        let (tcp, tcpPort) = try Self.listener()
        let (ws, wsPort) = try Self.listener()
        defer {
            tcp.close()
            ws.close()
        }
        var first: ActivatedMachat? = try ActivatedMachat(tcp: tcp, ws: ws, tag: "first")
        let log = first!.log
        #expect(log.contains("msg=\"tcp listening\" addr=127.0.0.1:\(tcpPort) from=systemd"), "\(log)")
        #expect(log.contains("msg=\"ws listening\" addr=127.0.0.1:\(wsPort) from=systemd"), "\(log)")
        let mina = try LineClient.joined(port: tcpPort, name: "Mina", room: "dev")
        let web = try WebSocketTestClient.joined(port: wsPort, name: "Web", room: "dev")
        #expect(mina.readLine()?.hasPrefix("Web:probe-") == true)
        mina.send("before the restart\n")
        #expect(mina.readLine() == "Mina:before the restart")
        #expect(web.readText() == "Mina:before the restart\n")

        #expect(first!.stop() == 0)
        first = nil
        // No machat runs now; the socket is still ours, so the kernel queues this.
        let late = try LineClient(port: tcpPort, name: "Late", room: "dev")
        late.send("sent while machat was down\n")

        let second = try ActivatedMachat(tcp: tcp, ws: ws, tag: "second")
        #expect(late.readLine(timeout: 15) == "Late:sent while machat was down", "log:\n\(second.log)")
        let bo = try LineClient.joined(port: tcpPort, name: "Bo", room: "dev")
        late.send("after the restart\n")
        #expect(bo.readLine() == "Late:after the restart")
        let web2 = try WebSocketTestClient.joined(port: wsPort, name: "Web2", room: "dev")
        late.send("to the web too\n")
        #expect(web2.readText() == "Late:to the web too\n")
        #expect(!second.log.contains("level=error"), "log:\n\(second.log)")
        #expect(second.stop() == 0)
    }
}
