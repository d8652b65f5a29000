@preconcurrency import Glibc
import Foundation
import Synchronization
import Testing

extension ResilienceTests {
    /// A slow consumer is cut with an abortive close: what the kernel still
    /// queued for it is dropped and it gets a reset at once, instead of
    /// reading megabytes for seconds without learning it was disconnected.
    @Suite struct SlowConsumerCutTests {
        /// A TCP client with a tiny receive buffer that reads 1 KiB every few
        /// milliseconds on a thread of its own, until EOF or an error.
        final class SlowReader: @unchecked Sendable {
            let fd: CInt
            private let bytes = Atomic<Int>(0)
            private let endedAt = Atomic<Int>(0)  // monotonic microseconds; 0 while reading
            private let endErrno = Atomic<Int32>(-1)
            private let finished = DispatchSemaphore(value: 0)

            init(port: UInt16, name: String, room: String) throws {
                let stalled = try Resilience.NonReader(port: port, name: name, room: room, receiveBuffer: 2048)
                fd = dup(stalled.fd)  // the NonReader closes its own descriptor
                stalled.send("here\n")
            }

            deinit {
                close(fd)
            }

            var received: Int { bytes.load(ordering: .relaxed) }
            /// When the connection ended (seconds, `MachatProcess.now()` scale), nil while open.
            var endTime: Double? {
                let micros = endedAt.load(ordering: .relaxed)
                return micros == 0 ? nil : Double(micros) / 1e6
            }
            /// 0 for EOF, else the errno of the failed read (ECONNRESET expected).
            var endError: Int32 { endErrno.load(ordering: .relaxed) }

            func start() {
                Thread { [self] in
                    var chunk = [UInt8](repeating: 0, count: 1024)
                    let deadline = MachatProcess.now() + 60
                    while MachatProcess.now() < deadline {
                        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                        if n > 0 {
                            bytes.add(n, ordering: .relaxed)
                            usleep(3000)  // the slow reader's pace: 1 KiB per 3 ms
                            continue
                        }
                        if n < 0 && errno == EINTR { continue }
                        endErrno.store(n == 0 ? 0 : errno, ordering: .relaxed)
                        break
                    }
                    endedAt.store(Int(MachatProcess.now() * 1e6), ordering: .relaxed)
                    finished.signal()
                }.start()
            }

            func wait(timeout: Double) -> Bool {
                finished.wait(timeout: .now() + timeout) == .success
            }
        }

        @Test func slowReaderSeesTheResetWithinASecondOfTheCutInsteadOfDrainingMegabytes() throws {
            let server = try MachatProcess(
                ["-max-outbound", "1048576", "-rate", "100000", "-burst", "100000"], tcpGateways: 1, wsGateways: 0)
            let sender = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Sam", room: "bulk"), name: "Sam")
            let reader = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Rex", room: "bulk"), name: "Rex")
            let slow = try SlowReader(port: server.tcpPort, name: "Stu", room: "bulk")
            #expect(reader.collect(timeout: 10) { $0.contains("Stu:here") })
            try Resilience.synchronize([sender, reader])
            slow.start()

            // 1 KiB lines until the gateway cuts Stu (at most 16 MiB).
            let padding = String(repeating: "x", count: 1010)
            let marker = "msg=\"slow consumer disconnected\""
            var cutSeenAt: Double?
            var receivedAtCut = 0
            var sent = 0
            let started = MachatProcess.now()
            while cutSeenAt == nil && sent < 16_384 && MachatProcess.now() - started < 30 {
                for _ in 0..<32 {
                    sender.send("\(sent + 100_000) \(padding)")
                    sent += 1
                }
                sender.poll()
                reader.poll()
                if server.log.contains(marker) {
                    cutSeenAt = MachatProcess.now()
                    receivedAtCut = slow.received
                }
            }
            let cut = try #require(cutSeenAt, "no slow consumer cut after \(sent) lines")
            #expect(slow.wait(timeout: 30), "the slow reader never saw its connection end")
            let end = try #require(slow.endTime)
            let afterCut = slow.received - receivedAtCut
            print(
                "slow consumer cut: \(sent) KiB sent; the reader had read \(receivedAtCut / 1024) KiB when the gateway logged the cut,"
                    + " then \(afterCut) bytes more; its connection ended \(Int(((end - cut) * 1000).rounded())) ms after the log line"
                    + " (\(slow.endError == ECONNRESET ? "ECONNRESET" : slow.endError == 0 ? "EOF" : "errno \(slow.endError)"))")
            #expect(end - cut < 1.5, "the reader noticed the cut \(end - cut) s after the log line")
            #expect(slow.endError == ECONNRESET || slow.endError == 0)
            #expect(afterCut < 256 * 1024, "the reader drained \(afterCut) bytes after the cut")

            // Everyone else got every line, in order, and stays.
            for member in [sender, reader] {
                #expect(member.collect(timeout: 20) { $0.count >= sent })
                #expect(!member.isClosed, "\(member.name) was disconnected")
                #expect(member.received == (0..<sent).map { "Sam:\($0 + 100_000) \(padding)" })
            }
            #expect(Resilience.stop(server, after: [sender, reader]) == 0)
        }
    }
}
