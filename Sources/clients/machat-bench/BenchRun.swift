@preconcurrency import Glibc
import Reactor

/// One benchmark run on one event loop: connect and join every member,
/// pass the join barrier, measure, drain, and collect the report.
///
/// Single-threaded like the server: members, counters and the histogram are
/// owned by the loop, so the hot path takes no locks and shares one histogram.
final class BenchRun {
    let config: BenchConfig
    let loop: EventLoop
    let histogram: UnsafeMutablePointer<LatencyHistogram>
    let payload: PayloadBuilder
    private let tcpTarget: TargetAddress
    private let wsTarget: TargetAddress
    private(set) var members: [Member] = []
    private var server: ServerProcesses
    private var report = BenchReport()

    /// Data deliveries so far, duplicates included (progress and drain).
    var delivered = 0
    /// Throughput mode while the load runs: senders refill their window on each echo.
    private(set) var sendsWindowed = false
    private(set) var isTearingDown = false
    private var interrupted = false
    private var errors = 0
    private var firstError: String?

    // Connect phase bookkeeping.
    private var nextToConnect = 0
    private var attemptsInFlight = 0
    private var settled = 0
    private var nextProgress: UInt64 = 0
    private var progressOrigin: (time: UInt64, delivered: Int) = (0, 0)

    init(config: BenchConfig, tcpTarget: TargetAddress, wsTarget: TargetAddress, serverPids: [Int32]) throws(SystemError) {
        self.config = config
        self.tcpTarget = tcpTarget
        self.wsTarget = wsTarget
        loop = try EventLoop()
        histogram = .allocate(capacity: 1)
        histogram.initialize(to: LatencyHistogram())
        payload = PayloadBuilder(size: config.size)
        server = ServerProcesses(pids: serverPids)
        _ = try SignalSource(signals: [SIGINT, SIGTERM], loop: loop) { [unowned self] _ in
            Console.error("machat-bench: interrupted; finishing early")
            interrupted = true
        }
    }

    deinit {
        histogram.deinitialize(count: 1)
        histogram.deallocate()
    }

    /// Records an error; the first one is kept as the report's sample.
    func noteError(_ text: String) {
        guard !isTearingDown else { return }
        errors += 1
        if firstError == nil { firstError = text }
    }

    /// Runs every phase and returns the report.
    func execute() -> BenchReport {
        report.configure(from: config)
        if !server.pids.isEmpty { report.rssBase = server.sample() }
        connectAll()
        if report.connected > 0 {
            joinBarrier()
            measure()
            drain()
        }
        if !server.pids.isEmpty {
            report.rssFinal = server.sample()
            report.rssPeak = server.peakRSS
        }
        tearDown()
        report.collect(members: members, histogram: histogram.pointee, config: config)
        report.errors += errors
        report.errorSample = firstError ?? report.errorSample
        return report
    }

    // MARK: Connect and join

    private func connectAll() {
        let start = MonotonicClock.now()
        members.reserveCapacity(config.members)
        for room in 0..<config.rooms {
            for slot in 0..<config.clientsPerRoom { members.append(Member(room: room, slot: slot, run: self)) }
        }
        let deadline = start + seconds(config.connectTimeoutSeconds)
        startConnects()
        resetProgress()
        while settled < members.count && !interrupted && MonotonicClock.now() < deadline {
            loop.runOnce(maxWaitMilliseconds: 100)
            progress {
                "connecting: \(self.report.connected)/\(self.members.count) joined, \(self.settled - self.report.connected) failed"
            }
        }
        let elapsed = MonotonicClock.now() - start
        report.connectFailures = members.count - report.connected
        report.connectSeconds = Double(elapsed) / 1e9
        if settled < members.count { noteError("connect phase timed out after \(config.connectTimeoutSeconds)s") }
    }

    /// Starts connects until `conc` are in flight.
    private func startConnects() {
        while attemptsInFlight < config.concurrency && nextToConnect < members.count {
            let index = nextToConnect
            nextToConnect += 1
            attemptsInFlight += 1
            let source = config.sourceIPs > 0 ? TargetAddress.loopbackSource(1 + index % config.sourceIPs) : nil
            let member = members[index]
            member.connect(to: member.isWebSocket ? wsTarget : tcpTarget, source: source)
        }
    }

    /// A member sent its join (or failed to): frees its connect slot.
    func memberSettled(_ member: Member, joined: Bool) {
        settled += 1
        attemptsInFlight -= 1
        if joined { report.connected += 1 }
        startConnects()
    }

    /// Each room's first joined member sends probes (every 50 ms, backing off
    /// to 1 s) until every joined member of the room has received one: then the
    /// server has processed every join, and the load can start.
    private func joinBarrier() {
        let start = MonotonicClock.now()
        let deadline = start + seconds(config.joinTimeoutSeconds)
        var unready = Array(0..<config.rooms)
        var gap: UInt64 = 50_000_000
        var nextProbe = start
        var probe = 0
        while !unready.isEmpty && !interrupted && MonotonicClock.now() < deadline {
            let now = MonotonicClock.now()
            let send = now >= nextProbe
            unready.removeAll { room in
                var prober: Member?
                var ready = true
                for member in members[room * config.clientsPerRoom..<(room + 1) * config.clientsPerRoom]
                where member.isJoined {
                    if prober == nil { prober = member }
                    if !member.ledger.sawProbe {
                        ready = false
                        break
                    }
                }
                if ready { return true }
                if send { prober?.sendProbe(probe) }
                return false
            }
            if send {
                probe += 1
                nextProbe = now + gap
                gap = min(gap * 2, 1_000_000_000)
            }
            loop.runOnce(maxWaitMilliseconds: 5)
            progress { "join barrier: \(self.config.rooms - unready.count)/\(self.config.rooms) rooms ready" }
        }
        report.unreadyRooms = unready.count
        for room in unready {
            for slot in 0..<config.clientsPerRoom {
                let member = members[room * config.clientsPerRoom + slot]
                if member.isJoined && !member.ledger.sawProbe { report.unreadyMembers += 1 }
            }
        }
        report.joinSeconds = report.connectSeconds + Double(MonotonicClock.now() - start) / 1e9
    }

    // MARK: Measure and drain

    private func measure() {
        let senders = members.indices.filter { members[$0].isSender && members[$0].isJoined }
        let loadStart = MonotonicClock.now()
        let windowStart = loadStart + seconds(config.warmupSeconds)
        let end = windowStart + seconds(config.durationSeconds)
        var schedule: OpenLoopSchedule?
        switch config.mode {
        case .throughput:
            sendsWindowed = true
            for index in senders { members[index].fillWindow(stamp: loadStart) }
        case .latency:
            do {
                schedule = try OpenLoopSchedule(
                    loop: loop, members: senders, rate: config.rate, start: loadStart, end: end
                ) { [unowned self] member, due in members[member].sendData(stamp: due) }
            } catch {
                noteError("timerfd: \(error)")
            }
        case .idle:
            break
        }
        resetProgress()
        var windowOpen = windowStart == loadStart
        var window = (
            cpu: server.cpuSeconds(), own: ServerProcesses.selfCPUSeconds(),
            machine: ServerProcesses.machineBusySeconds(), delivered: delivered, sent: 0
        )
        var nextRSS = loadStart
        while !interrupted {
            let now = MonotonicClock.now()
            if now >= end { break }
            if !windowOpen && now >= windowStart {
                windowOpen = true
                histogram.pointee.reset()
                window = (
                    server.cpuSeconds(), ServerProcesses.selfCPUSeconds(),
                    ServerProcesses.machineBusySeconds(), delivered, totalSent()
                )
            }
            if !server.pids.isEmpty && now >= nextRSS {
                _ = server.sample()
                nextRSS = now + 200_000_000
            }
            loop.runOnce(maxWaitMilliseconds: Int(min(100, (end - now) / 1_000_000 + 1)))
            progress { "\(config.mode == .idle ? "holding" : "measuring")" }
        }
        sendsWindowed = false
        schedule?.stop()
        let elapsed = Double(MonotonicClock.now() - (windowOpen ? windowStart : loadStart)) / 1e9
        report.durationSeconds = elapsed
        report.deliveredInWindow = delivered - window.delivered
        report.sentInWindow = totalSent() - window.sent
        if elapsed > 0 {
            report.serverCPUPercent = server.pids.isEmpty ? nil : 100 * (server.cpuSeconds() - window.cpu) / elapsed
            report.benchCPUPercent = 100 * (ServerProcesses.selfCPUSeconds() - window.own) / elapsed
            report.machineCPUPercent = 100 * (ServerProcesses.machineBusySeconds() - window.machine) / elapsed
        }
    }

    private func totalSent() -> Int { members.reduce(0) { $0 + $1.sent } }

    /// Waits (up to the drain timeout) until every expected delivery arrived.
    private func drain() {
        guard config.mode != .idle else { return }
        let start = MonotonicClock.now()
        let deadline = start + seconds(config.drainTimeoutSeconds)
        let expected = BenchReport.expectedDeliveries(members: members, config: config)
        // An interrupt ends the measurement early, not the drain (itself bounded).
        while delivered < expected && MonotonicClock.now() < deadline {
            loop.runOnce(maxWaitMilliseconds: 10)
            progress { "draining: \(expected - self.delivered) deliveries outstanding" }
        }
        report.drainSeconds = Double(MonotonicClock.now() - start) / 1e9
    }

    private func tearDown() {
        isTearingDown = true
        for member in members { member.close() }
        loop.runOnce(maxWaitMilliseconds: 0)
    }

    // MARK: Progress

    private func resetProgress() {
        let now = MonotonicClock.now()
        progressOrigin = (now, delivered)
        nextProgress = now + 1_000_000_000
    }

    /// Once a second: elapsed time in the phase and deliveries/s so far.
    private func progress(_ phase: () -> String) {
        let now = MonotonicClock.now()
        guard now >= nextProgress else { return }
        nextProgress = now + 1_000_000_000
        let elapsed = Double(now - progressOrigin.time) / 1e9
        let rate = Double(delivered - progressOrigin.delivered) / max(elapsed, 1e-9)
        Console.error(
            "machat-bench: \(Format.fixed(elapsed, 1))s \(phase()); \(Format.count(delivered)) deliveries, \(Format.rate(rate)) deliveries/s"
        )
    }

    private func seconds(_ value: Double) -> UInt64 { UInt64(max(0, value) * 1e9) }
}
