@preconcurrency import Glibc
import Foundation
import Synchronization

/// A room of two members — one on the TCP gateway, one on the WebSocket
/// gateway — that keep chatting on a thread of their own while a test
/// attacks the gateways: each round trip is a line from each, seen by both,
/// and must finish within `bound` seconds. Anything else arriving in the
/// room (an attacker's line leaking in) is a problem too.
final class ControlRoom: @unchecked Sendable {
    /// What the members saw.
    struct Report: CustomStringConvertible {
        var roundTrips = 0
        var slowest: Double = 0
        var problems: [String] = []

        var description: String {
            "\(roundTrips) round trips, slowest \(Int((slowest * 1000).rounded())) ms"
                + (problems.isEmpty ? "" : ", problems: \(problems.prefix(5))")
        }
    }

    private let tcp: Resilience.Member
    private let webSocket: Resilience.Member
    private let bound: Double
    private let report = Mutex(Report())
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Joins both members to `room` and starts the round trips.
    init(tcpPort: UInt16, wsPort: UInt16, room: String = "control", bound: Double = 2) throws {
        tcp = .tcp(try LineClient.joined(port: tcpPort, name: "CtlT", room: room), name: "CtlT")
        webSocket = .webSocket(try WebSocketTestClient.joined(port: wsPort, name: "CtlW", room: room), name: "CtlW")
        self.bound = bound
        try Resilience.synchronize([tcp, webSocket])
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.start()
    }

    private func run() {
        var round = 0
        // Bounded in count and time even if nobody stops it.
        let deadline = MachatProcess.now() + 300
        while !stopRequested.load(ordering: .relaxed) && round < 100_000 && MachatProcess.now() < deadline {
            round += 1
            let started = MachatProcess.now()
            let there = "CtlT:rt-\(round)"
            let back = "CtlW:rt-\(round)-back"
            tcp.send("rt-\(round)")
            var ok = webSocket.collect(timeout: bound) { $0.contains(there) }
            webSocket.send("rt-\(round)-back")
            ok = ok && tcp.collect(timeout: bound) { $0.contains(there) && $0.contains(back) }
            ok = ok && webSocket.collect(timeout: bound) { $0.contains(back) }
            let elapsed = MachatProcess.now() - started
            let strays = (tcp.received + webSocket.received).filter { !Self.isControlLine($0) }
            tcp.clear()
            webSocket.clear()
            report.withLock { report in
                report.roundTrips += ok ? 1 : 0
                report.slowest = max(report.slowest, elapsed)
                if !ok { report.problems.append("round trip \(round) incomplete after \(Int(elapsed * 1000)) ms") }
                if ok && elapsed >= bound { report.problems.append("round trip \(round) took \(Int(elapsed * 1000)) ms") }
                if !strays.isEmpty { report.problems.append("unexpected lines in the control room: \(strays.prefix(3))") }
            }
            if tcp.isClosed || webSocket.isClosed {
                report.withLock { $0.problems.append("a control member was disconnected") }
                return
            }
            usleep(10_000)  // pacing, so the attack gets the CPU too
        }
    }

    private static func isControlLine(_ line: String) -> Bool {
        guard line.hasPrefix("CtlT:rt-") || line.hasPrefix("CtlW:rt-") else { return false }
        let rest = line.dropFirst(8)
        let digits = rest.hasSuffix("-back") ? rest.dropLast(5) : rest
        return !digits.isEmpty && digits.allSatisfy(\.isNumber)
    }

    /// What the round trips saw so far (the room keeps chatting).
    var current: Report { report.withLock { $0 } }

    /// Stops the round trips, hangs up both members, and reports.
    func stop() -> Report {
        stopRequested.store(true, ordering: .relaxed)
        if finished.wait(timeout: .now() + 4 * bound + 5) == .timedOut {
            report.withLock { $0.problems.append("the control room did not stop") }
        }
        tcp.hangUp()
        webSocket.hangUp()
        return report.withLock { $0 }
    }
}
