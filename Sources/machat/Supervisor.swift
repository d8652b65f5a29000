@preconcurrency import Glibc
import Reactor
import Store

/// The `machat` process: owns the runtime directory and the listening
/// sockets, starts the router and then the gateways, restarts any child that
/// dies, rolls the gateways on SIGHUP, and stops everything in order on
/// SIGINT/SIGTERM.
final class Supervisor {
    struct Configuration {
        var tcpAddress: String
        var webSocketAddress: String
        var runtimeDirectory: String
        var tcpGateways: Int
        var webSocketGateways: Int
        /// Flags passed on to every gateway / only to WebSocket gateways.
        var gatewayArguments: [String]
        var webSocketArguments: [String]
        /// Flags passed on to the router (history bounds).
        var routerArguments: [String]
        /// `-metrics ADDR`: serve /metrics and /healthz there; empty: off.
        var metricsAddress = ""
        /// Where history is kept on disk (`-data-dir`); nil: memory only.
        var dataDirectory: String?
        /// Flags passed on to machat-store.
        var storeArguments: [String] = []
    }

    private enum Phase {
        case starting
        case running
        case stopping
    }

    private let configuration: Configuration
    private let loop: EventLoop
    private let ownPID = getpid()
    private var signals: SignalSource?
    private var router: ChildProcess!
    private var gateways: [ChildProcess] = []
    /// One per listening socket shared by several gateways.
    private var acceptBoards: [AcceptBoard] = []
    private var phase = Phase.starting
    private var rollingQueue: [ChildProcess] = []
    private var rollingCurrent: ChildProcess?
    private var socketPath: String { "\(configuration.runtimeDirectory)/router.sock" }
    private var storeSocketPath: String { "\(configuration.runtimeDirectory)/store.sock" }
    /// The history store, with `-data-dir`.
    private var store: ChildProcess?
    /// Held while machat runs: a second machat on the same data directory refuses.
    private var dataLock: DataDirectoryLock?
    /// Set when machat stops because it cannot work (e.g. an unusable database).
    private var exitStatus: Int32 = 0
    private var children: [ChildProcess] { [router!] + gateways + (store.map { [$0] } ?? []) }
    /// With `-metrics`: the region the children count into and the endpoint.
    private var metrics: NodeMetrics?
    /// Listening sockets systemd passed (socket activation), by name (`tcp`, `ws`).
    private var activatedSockets: [String: FileDescriptor] = [:]
    /// This node's name in a Redis cluster: random per machat run.
    private let nodeID = "node-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)

    init(configuration: Configuration) throws(SystemError) {
        self.configuration = configuration
        self.loop = try EventLoop()
    }

    /// Runs until stopped; returns the process exit status.
    func run() -> Int32 {
        do {
            activatedSockets = try SocketActivation.take()
        } catch {
            Log.error("\(error)")
            return 1
        }
        RuntimeDirectory.removeStale()
        do {
            try RuntimeDirectory.ensure(configuration.runtimeDirectory)
        } catch {
            Log.error("\(error)")
            return 1
        }
        let directory = ProcessSpawner.executableDirectory()
        var wsListener: FileDescriptor?
        guard let tcpListener = bind(configuration.tcpAddress, kind: "tcp") else {
            RuntimeDirectory.remove(configuration.runtimeDirectory)
            return 1
        }
        if configuration.webSocketGateways > 0 {
            wsListener = bind(configuration.webSocketAddress, kind: "ws")
            if wsListener == nil {
                RuntimeDirectory.remove(configuration.runtimeDirectory)
                return 1
            }
        }
        for (name, fd) in activatedSockets {
            Log.warn("closing a socket passed by systemd that no gateway uses", ["name": name])
            fd.close()
        }
        activatedSockets = [:]
        var storeArguments: [String] = []
        if let dataDirectory = configuration.dataDirectory {
            do {
                try DataDirectory.ensure(dataDirectory)
                dataLock = try DataDirectoryLock(directory: dataDirectory)
            } catch {
                Log.error("cannot use the data directory", ["dir": dataDirectory, "error": "\(error)"])
                RuntimeDirectory.remove(configuration.runtimeDirectory)
                return 1
            }
            Log.info("history kept in", ["db": DataDirectory.databasePath(in: dataDirectory)])
            store = ChildProcess(
                name: "store", role: .store, executable: "\(directory)/machat-store",
                arguments: ["-socket", storeSocketPath, "-data-dir", dataDirectory] + configuration.storeArguments,
                listener: nil)
            storeArguments = ["-store", storeSocketPath]
        } else {
            Log.info("history kept in memory only (-data-dir none, or -redis)")
        }
        router = ChildProcess(
            name: "router", role: .router, executable: "\(directory)/machat-router",
            arguments: [
                "-socket", socketPath, "-gateways", String(configuration.tcpGateways + configuration.webSocketGateways),
                // One name per machat run: a restarted router is the same node
                // to the others (its members are replayed, not duplicated).
                "-node-id", nodeID,
            ] + storeArguments + configuration.routerArguments,
            listener: nil)
        for index in 0..<configuration.tcpGateways {
            gateways.append(
                ChildProcess(
                    name: "tcp-gateway-\(index + 1)", role: .gateway, executable: "\(directory)/machat-tcp-gateway",
                    arguments: ["-router", socketPath] + configuration.gatewayArguments, listener: tcpListener))
        }
        for index in 0..<configuration.webSocketGateways {
            gateways.append(
                ChildProcess(
                    name: "ws-gateway-\(index + 1)", role: .gateway, executable: "\(directory)/machat-ws-gateway",
                    arguments: ["-router", socketPath] + configuration.gatewayArguments + configuration.webSocketArguments,
                    listener: wsListener))
        }
        Log.info("router socket", ["path": socketPath, "runtime_dir": configuration.runtimeDirectory])
        for kind in ["tcp", "ws"] {
            let sharing = gateways.filter { $0.name.hasPrefix(kind + "-") }
            guard sharing.count > 1 else { continue }
            do {
                let board = try AcceptBoard.create(slots: sharing.count)
                acceptBoards.append(board)
                for (slot, child) in sharing.enumerated() { child.accept = (board, slot) }
            } catch {
                Log.warn("cannot share accept counts; gateways accept unbalanced", ["error": error])
            }
        }
        if !configuration.metricsAddress.isEmpty {
            do {
                metrics = try NodeMetrics(address: configuration.metricsAddress, router: router, gateways: gateways, store: store, loop: loop)
            } catch {
                Log.error(
                    "cannot serve metrics", ["addr": configuration.metricsAddress, "flag": "-metrics", "error": "\(error)"])
                RuntimeDirectory.remove(configuration.runtimeDirectory)
                return 1
            }
        }
        do {
            signals = try SignalSource(signals: [SIGCHLD, SIGTERM, SIGINT, SIGHUP], loop: loop) { [unowned self] signal in
                handle(signal: signal)
            }
        } catch {
            Log.error("cannot watch signals", ["error": error])
            return 1
        }
        if let store {
            start(store)
            waitForStore(deadline: MonotonicClock.now() + 30_000_000_000)
        } else {
            start(router)
            waitForRouter(deadline: MonotonicClock.now() + 10_000_000_000)
        }
        loop.run()
        RuntimeDirectory.remove(configuration.runtimeDirectory)
        dataLock = nil
        Log.info("stopped")
        return exitStatus
    }

    /// Binds a listening socket and moves it above the descriptor numbers
    /// children receive, so passing it as descriptor 3 is always a real dup2.
    private func bind(_ text: String, kind: String) -> FileDescriptor? {
        // Socket activation: systemd owns the socket and keeps queuing
        // connections in it while machat itself restarts.
        if let passed = activatedSockets.removeValue(forKey: kind) {
            Log.info("\(kind) listening", ["addr": SocketActivation.describe(passed), "from": "systemd"])
            return passed
        }
        do {
            let address = try SocketAddress.resolve(text, passive: true)[0]
            let fd = try Socket.listenTCP(address)
            let high = fcntl(fd.rawValue, F_DUPFD_CLOEXEC, 10)
            if high >= 0 {
                fd.close()
            }
            let listener = high >= 0 ? FileDescriptor(rawValue: high) : fd
            Log.info("\(kind) listening", ["addr": try Socket.localAddress(listener)])
            return listener
        } catch let error as SystemError where error.errno == EADDRINUSE {
            Log.error("address already in use; is another machat running? pick another with -\(kind)", ["addr": text])
        } catch {
            Log.error("cannot listen", ["addr": text, "flag": "-\(kind)", "error": "\(error)"])
        }
        return nil
    }

    /// Polls the store's socket until it accepts (its database is open and
    /// checked), then starts the router.
    private func waitForStore(deadline: UInt64) {
        guard phase == .starting else { return }
        if let fd = try? Socket.connectUnix(path: storeSocketPath) {
            fd.close()
            start(router)
            waitForRouter(deadline: MonotonicClock.now() + 10_000_000_000)
            return
        }
        if MonotonicClock.now() > deadline {
            Log.error("the history store did not come up within 30 s; stopping")
            exitStatus = 1
            stop()
            return
        }
        loop.schedule(afterMilliseconds: 10) { [unowned self] in waitForStore(deadline: deadline) }
    }

    /// Polls the router's socket until it accepts, then starts the gateways.
    private func waitForRouter(deadline: UInt64) {
        if let fd = try? Socket.connectUnix(path: socketPath) {
            fd.close()
            guard phase == .starting else { return }
            phase = .running
            for gateway in gateways { start(gateway) }
            return
        }
        if MonotonicClock.now() > deadline {
            Log.error("router did not come up within 10 s; stopping")
            stop()
            return
        }
        loop.schedule(afterMilliseconds: 10) { [unowned self] in
            if phase == .starting { waitForRouter(deadline: deadline) }
        }
    }

    private func start(_ child: ChildProcess) {
        child.restartTimer = nil
        do {
            try child.start(supervisorPID: ownPID)
            Log.info("started", ["child": child.name, "child_pid": child.pid ?? 0])
        } catch {
            Log.error("cannot start child", ["child": child.name, "error": error])
            scheduleRestart(child)
        }
    }

    private func scheduleRestart(_ child: ChildProcess) {
        let delay = child.restartImmediately ? 0 : child.nextRestartDelay(now: MonotonicClock.now())
        child.restartImmediately = false
        if delay > 0 { Log.info("restarting", ["child": child.name, "in_ms": delay, "failures": child.consecutiveFailures]) }
        child.restartTimer = loop.schedule(afterMilliseconds: delay) { [unowned self] in
            guard phase != .stopping else { return }
            start(child)
            if child === rollingCurrent { rollNext(after: 300) }
        }
    }

    // MARK: Signals

    private func handle(signal: Int32) {
        switch signal {
        case SIGCHLD:
            reapChildren()
        case SIGTERM, SIGINT:
            if phase == .stopping {
                Log.warn("second stop signal; killing children now")
                for child in children { child.signal(SIGKILL) }
            } else {
                Log.info("stopping", ["signal": signal])
                stop()
            }
        case SIGHUP:
            beginRollingRestart()
        default:
            break
        }
    }

    /// Collects every exited child (one SIGCHLD may stand for several).
    private func reapChildren() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard let child = children.first(where: { $0.pid == pid }) else { continue }
            child.pid = nil
            if let (board, slot) = child.accept { board.markAbsent(slot) }
            metrics?.childExited(child)
            if phase == .stopping {
                Log.info("child exited", ["child": child.name, "how": ProcessSpawner.describe(status: status)])
                continueStopping()
            } else if child.role == .store && ProcessSpawner.exitCode(status: status) == Int32(StoreCommand.unusableExitStatus) {
                // A corrupt database or one in use elsewhere: restarting
                // would only fail again. Its own log line says why.
                Log.error("the history store cannot use its database; stopping (see the store's error above)")
                exitStatus = 1
                stop()
            } else if child.restartImmediately {
                Log.info(
                    "child exited for rolling restart", ["child": child.name, "how": ProcessSpawner.describe(status: status)])
                scheduleRestart(child)
            } else {
                Log.warn("child exited unexpectedly", ["child": child.name, "how": ProcessSpawner.describe(status: status)])
                child.restarts += 1
                scheduleRestart(child)
            }
        }
    }

    // MARK: Rolling restart

    /// SIGHUP: restart gateways one at a time, so a room with members on
    /// several gateways never goes dark and the listening sockets never close.
    private func beginRollingRestart() {
        guard phase == .running, rollingCurrent == nil else {
            Log.warn("rolling restart already in progress or not running; ignoring SIGHUP")
            return
        }
        Log.info("rolling restart of gateways", ["count": gateways.count])
        rollingQueue = gateways
        rollNext(after: 0)
    }

    private func rollNext(after delay: Int) {
        loop.schedule(afterMilliseconds: delay) { [unowned self] in
            guard phase == .running else { return }
            guard !rollingQueue.isEmpty else {
                rollingCurrent = nil
                Log.info("rolling restart done")
                return
            }
            let child = rollingQueue.removeFirst()
            rollingCurrent = child
            guard child.pid != nil else {
                rollNext(after: 0)
                return
            }
            child.restartImmediately = true
            child.signal(SIGTERM)
        }
    }

    // MARK: Stopping

    /// Gateways first (they drain their clients), then the router.
    private func stop() {
        phase = .stopping
        metrics?.isStopping = true
        for child in children {
            if let timer = child.restartTimer { loop.cancel(timer) }
            child.restartTimer = nil
        }
        for gateway in gateways { gateway.signal(SIGTERM) }
        loop.schedule(afterMilliseconds: 8000) { [unowned self] in
            for gateway in gateways where gateway.pid != nil {
                Log.warn("gateway did not stop in time; killing it", ["child": gateway.name])
                gateway.signal(SIGKILL)
            }
        }
        continueStopping()
    }

    private func continueStopping() {
        guard gateways.allSatisfy({ $0.pid == nil }) else { return }
        if router.pid == nil, let store, store.pid != nil {
            // Last: the store commits what the router sent it.
            store.signal(SIGTERM)
            loop.schedule(afterMilliseconds: 5000) {
                if store.pid != nil {
                    Log.warn("store did not stop in time; killing it")
                    store.signal(SIGKILL)
                }
            }
            return
        }
        if router.pid != nil {
            router.signal(SIGTERM)
            loop.schedule(afterMilliseconds: 3000) { [unowned self] in
                if router.pid != nil {
                    Log.warn("router did not stop in time; killing it")
                    router.signal(SIGKILL)
                }
            }
        } else {
            loop.stop()
        }
    }
}
