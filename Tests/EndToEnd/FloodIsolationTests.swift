@preconcurrency import Glibc
import Testing

extension ResilienceTests {
    /// One member flooding its room must not stall other rooms.
    @Suite struct FloodIsolationTests {
        /// The stated bound: with the rate limit lifted, a probe in room B
        /// makes its round trip in under 2 s (median and maximum are printed)
        /// while a member of room A writes to the same gateway as fast as it can.
        @Test(.alone) func floodInOneRoomKeepsAnotherRoomsRoundTripUnderTwoSeconds() throws {
            let server = try MachatProcess(
                ["-rate", "10000000", "-burst", "10000000"], tcpGateways: 1, wsGateways: 0)
            let flooderClient = try LineClient.joined(port: server.tcpPort, name: "Flo", room: "A")
            let asker = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Pia", room: "B"), name: "Pia")
            let answerer = Resilience.Member.tcp(
                try LineClient.joined(port: server.tcpPort, name: "Quin", room: "B"), name: "Quin")
            try Resilience.synchronize([asker, answerer])

            let flooder = try Resilience.Flooder(
                client: flooderClient, line: "flood " + String(repeating: "~", count: 90))
            flooder.start()
            // The flood is under way before the first probe.
            #expect(MachatProcess.wait(timeout: 10) { flooder.received > 1 << 20 })
            let sentBefore = flooder.sent

            var roundTrips: [Double] = []
            for index in 0..<15 {
                let probe = "probe \(index)"
                let sentAt = MachatProcess.now()
                asker.send(probe)
                let arrived =
                    answerer.collect(timeout: 10) { $0.contains("Pia:\(probe)") }
                    && asker.collect(timeout: 10) { $0.contains("Pia:\(probe)") }
                #expect(arrived, "probe \(index) did not make it through")
                roundTrips.append(MachatProcess.now() - sentAt)
                asker.clear()
                answerer.clear()
                usleep(20_000)  // spread the probes over the flood
            }
            let flooded = flooder.sent - sentBefore
            let sorted = roundTrips.sorted()
            let median = Int(sorted[sorted.count / 2] * 1000)
            let worst = Int((sorted.last ?? 0) * 1000)
            print(
                "flood isolation: room B round trip median \(median) ms, max \(worst) ms, while room A took \(flooded >> 10) KiB")
            #expect(flooded > 1 << 20, "the flood was not running during the probes (\(flooded) bytes)")
            #expect(!flooder.wasDisconnected, "the flooder was disconnected")
            #expect(worst < 2000)
            flooder.stop()
            shutdown(flooderClient.fd.rawValue, Int32(SHUT_RDWR))
            #expect(Resilience.stop(server, after: [asker, answerer]) == 0)
        }
    }
}
