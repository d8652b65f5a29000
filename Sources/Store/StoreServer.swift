@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// The store process: one epoll loop, one router connection at a time on a
/// Unix-domain socket, one SQLite writer. Every APPEND that arrives in a
/// loop turn goes into one transaction at the end of the turn, then
/// COMMITTED; retention runs in small steps once a second.
///
/// A commit that fails (disk full, I/O error) is rolled back; the batches
/// stay queued and are retried with backoff, the router hears STATUS failing
/// (and later healthy), the log says so once per episode, and nothing is
/// dropped: past `maxPendingBytes` the store stops reading the router, whose
/// own bound then refuses new lines.
public final class StoreServer {
    /// Settings from the command line.
    public struct Configuration: Sendable {
        public var socketPath: String
        public var dataDirectory: String
        /// Bounds until a router says HELLO with its own.
        public var retention = RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: 24 * 3_600_000)
        public var database = HistoryDatabase.WriteOptions()
        /// APPEND bytes held uncommitted before the router is no longer read.
        public var maxPendingBytes = 64 << 20
        public var retentionIntervalMilliseconds = 1000
        /// Time retention may take per interval, in ms.
        public var retentionBudgetMilliseconds = 20
        /// Group commit under load: while the router has more bytes queued
        /// on the socket, the commit waits for them, up to this many pending
        /// bytes or `groupCommitMilliseconds` since the oldest pending batch.
        /// Bigger transactions rewrite each b-tree page less often; an idle
        /// router's batch still commits in the turn it arrives.
        public var groupCommitBytes = 1 << 20
        public var groupCommitMilliseconds = 10
        /// After a small commit (under `restBelowBytes`), the next starts at
        /// least this long after it ended, so a trickle of small batches
        /// (load C: about 10 lines per router turn) shares transactions
        /// instead of paying a commit each, whose cost is mostly per page
        /// written, not per line. Only the acknowledgement waits; delivery
        /// never does.
        public var minimumCommitIntervalMilliseconds = 16
        /// A commit this big or bigger means the router is busy: the next
        /// one does not rest, so the store's rate is never capped at what
        /// the socket holds per interval.
        public var restBelowBytes = 16 << 10
        public var retryInitialMilliseconds = 50
        public var retryMaximumMilliseconds = 2000

        public init(socketPath: String, dataDirectory: String) {
            self.socketPath = socketPath
            self.dataDirectory = dataDirectory
        }
    }

    let configuration: Configuration
    let loop: EventLoop
    let engine: StoreEngine
    private let lock: DataDirectoryLock
    private var listener: Listener?
    private var signals: SignalSource?
    private var session: StoreSession?
    /// A newer connection waiting for the current one to go.
    private var waiting: StoreSession?
    private let ownUID = getuid()

    private var pending: [PendingBatch] = []
    private var pendingBytes = 0
    /// When the oldest pending batch arrived.
    private var pendingSince: UInt64 = 0
    /// The connection the pending batches came from: only it hears COMMITTED.
    private var pendingOwner: ObjectIdentifier?
    private var commitScheduled = false
    /// When the last commit ended (monotonic ns), for the commit interval.
    private var lastCommitEnded: UInt64 = 0
    /// APPEND bytes the last commit wrote: under `restBelowBytes` the next rests.
    private var lastCommitBytes = 0
    private var retryTimer: TimerID?
    private var retryDelay = 0
    /// Why commits fail, while they do.
    private var failure: String?
    private var failingSince: UInt64 = 0
    private var retentionFailure: String?
    private var foldScheduled = false
    /// A fold failed: commits stop asking for folds until retention's works.
    private var foldFailing = false
    /// The router connection not read until the commit interval is over.
    private var restingSession: StoreSession?

    /// Counters for the log and for measurements.
    public private(set) var statistics = Statistics()

    /// What the store has done since it started.
    public struct Statistics: Sendable {
        public var commits = 0
        public var batches = 0
        public var linesStored = 0
        public var linesSkipped = 0
        public var failedCommits = 0
        public var retentionRows = 0
    }

    /// Creates the data directory, takes its store lock and opens and checks
    /// the database; every failure is a `StoreError` with a clear message.
    public init(configuration: Configuration) throws(StoreError) {
        self.configuration = configuration
        try DataDirectory.ensure(configuration.dataDirectory)
        do {
            lock = try DataDirectoryLock(directory: configuration.dataDirectory, name: DataDirectory.storeLockName)
        } catch {
            throw .locked(error)
        }
        let history = try HistoryDatabase.openForWriting(directory: configuration.dataDirectory, options: configuration.database)
        do {
            engine = try StoreEngine(history: history, retention: configuration.retention)
            loop = try EventLoop()
        } catch let error as SQLiteError {
            throw StoreError.opening(history.path, error)
        } catch {
            throw StoreError.unusableDirectory(path: configuration.dataDirectory, reason: "\(error)")
        }
    }

    /// Listens and runs until SIGTERM/SIGINT; then commits what is queued,
    /// marks the database closed cleanly and returns.
    public func run() throws(SystemError) {
        let fd = try Socket.listenUnix(path: configuration.socketPath, backlog: 16)
        listener = try Listener(fd: fd, loop: loop) { [unowned self] client in accept(client) }
        signals = try SignalSource(signals: [SIGTERM, SIGINT], loop: loop) { [unowned self] signal in
            Log.info("stopping", ["signal": signal])
            commitPending()
            loop.stop()
        }
        let previous: String
        switch engine.history.previousSession {
        case .none: previous = "new"
        case .clean: previous = "clean"
        case .processDied: previous = "store died (nothing lost)"
        case .machineStopped(let rooms):
            previous = "machine stopped"
            Log.warn(
                "the machine stopped while the store ran: the last lines may be missing, so every room starts a new epoch",
                ["rooms": rooms])
        }
        Log.info(
            "store listening",
            [
                "socket": configuration.socketPath, "database": engine.history.path, "rooms": engine.roomCount,
                "previous_session": previous, "synchronous": configuration.database.synchronous.rawValue,
            ])
        scheduleRetention()
        loop.run()
        listener?.stop()
        fd.close()
        _ = unlink(configuration.socketPath)
        engine.history.closeCleanly()
        lock.release()
        Log.info(
            "store stopped",
            ["commits": statistics.commits, "lines_stored": statistics.linesStored, "pending_batches": pending.count])
    }

    // MARK: Connections

    private func accept(_ fd: FileDescriptor) {
        // Mode 0600 on the socket keeps other users out; checking the peer's
        // uid is the second lock (unix(7), SO_PEERCRED).
        guard let peer = Socket.peerCredentials(fd), peer.uid == ownUID else {
            Log.warn("refused a connection from another user")
            fd.close()
            return
        }
        let connection: StreamConnection
        do {
            connection = try StreamConnection(fd: fd, loop: loop, outboundLimit: 256 << 20)
        } catch {
            Log.error("could not register a router connection", ["error": error])
            fd.close()
            return
        }
        connection.notifiesOnDrain = true
        let newcomer = StoreSession(connection: connection, server: self, peerPID: peer.pid)
        connection.delegate = newcomer
        guard let current = session, current.isOpen else {
            session = newcomer
            return
        }
        // One router at a time. A killed router's connection reports EOF
        // within a turn or two; a live one is cut after a second.
        connection.isReadPaused = true
        waiting?.close("replaced by a newer router connection")
        waiting = newcomer
        loop.schedule(afterMilliseconds: 1000) { [unowned self] in
            guard waiting === newcomer, let old = session, old.isOpen else { return }
            Log.warn(
                "a new router connected; closing the old connection",
                ["old_peer_pid": old.peerPID, "new_peer_pid": newcomer.peerPID])
            old.close("replaced by a new router connection")
        }
    }

    func sessionSaidHello(_ session: StoreSession, retention: RetentionSettings) {
        // Batch numbers belong to a router instance: whatever an earlier
        // connection left queued is settled under its own instance first.
        settleBatchesOfAnEarlierRouter()
        engine.retention = retention
        let through = engine.beginSession(routerInstance: session.instance)
        session.send(.welcome(version: StoreProtocol.version, retention: retention, committedThrough: through))
        Log.info(
            "router connected",
            [
                "peer_pid": session.peerPID, "history_size": retention.linesPerRoom, "history_ttl_ms": retention.ttlMilliseconds,
                "committed_through": through,
            ])
        if let failure { session.send(.status(.failing(reason: failure))) }
    }

    func sessionClosed(_ closed: StoreSession, reason: CloseReason) {
        if waiting === closed {
            waiting = nil
            return
        }
        guard session === closed else { return }
        session = nil
        if closed.instance != 0 { Log.info("router disconnected", ["peer_pid": closed.peerPID, "reason": reason]) }
        settleBatchesOfAnEarlierRouter()
        if let next = waiting {
            waiting = nil
            session = next
            next.connection.isReadPaused = false
        }
    }

    // MARK: Batches

    /// Batches of a router that went away: committed now if we can. If not,
    /// they are dropped: none was acknowledged to a gateway, so the gateways
    /// resend those lines to the next router.
    private func settleBatchesOfAnEarlierRouter() {
        guard !pending.isEmpty else { return }
        commitPending()
        guard !pending.isEmpty else { return }
        Log.warn(
            "dropping uncommitted batches of a router that went away; its gateways resend those lines",
            ["batches": pending.count, "bytes": pendingBytes])
        pending.removeAll()
        pendingBytes = 0
    }

    func enqueue(_ batch: PendingBatch, from sender: StoreSession) {
        if pending.isEmpty { pendingSince = MonotonicClock.now() }
        pendingOwner = ObjectIdentifier(sender)
        pending.append(batch)
        pendingBytes += batch.records.count + 8
        if pendingBytes > configuration.maxPendingBytes, let session, !session.connection.isReadPaused {
            session.connection.isReadPaused = true
            Log.warn("too many uncommitted batches; not reading the router until they commit", ["bytes": pendingBytes])
        }
        scheduleCommit()
    }

    /// Commits at the end of this turn, so every APPEND of the turn shares
    /// one transaction (or a little later: `minimumCommitIntervalMilliseconds`,
    /// the group commit); not while a load streams or a retry is waiting.
    private func scheduleCommit() {
        guard !commitScheduled, retryTimer == nil, session?.load == nil else { return }
        commitScheduled = true
        loop.atEndOfTurn { [unowned self] in
            let since = MonotonicClock.now() &- lastCommitEnded
            let rest = Self.restBeforeCommit(
                nanosecondsSinceLastCommit: since, lastCommitBytes: lastCommitBytes, configuration: configuration)
            guard rest > 0 else { return commitUnlessMoreIsQueued() }
            // Too soon after the last commit: what comes meanwhile joins this
            // one, and waits in the socket until then — the store is woken
            // once per commit, not once per router turn.
            if let session, !session.connection.isReadPaused {
                session.connection.isReadPaused = true
                restingSession = session
            }
            loop.schedule(afterMilliseconds: rest) { [unowned self] in
                if let resting = restingSession {
                    restingSession = nil
                    if resting.isOpen && waiting !== resting && pendingBytes < configuration.maxPendingBytes {
                        resting.connection.isReadPaused = false
                    }
                }
                commitUnlessMoreIsQueued()
            }
        }
    }

    /// How long (ms, rounded up) the next commit waits: the rest of the
    /// minimum interval after a small commit, 0 after a big one (a busy
    /// router: resting then would cap the store at what the socket holds
    /// per interval, and acknowledgements would fall behind without bound).
    static func restBeforeCommit(
        nanosecondsSinceLastCommit since: UInt64, lastCommitBytes: Int, configuration: Configuration
    ) -> Int {
        let interval = MonotonicClock.ms(configuration.minimumCommitIntervalMilliseconds)
        guard since < interval, lastCommitBytes < configuration.restBelowBytes else { return 0 }
        return Int((interval - since + 999_999) / 1_000_000)
    }

    private func commitUnlessMoreIsQueued() {
        if shouldWaitForMore() {
            // Next turn, after the queued bytes were read.
            loop.schedule(afterMilliseconds: 0) { [unowned self] in commitUnlessMoreIsQueued() }
            return
        }
        commitScheduled = false
        guard retryTimer == nil, session?.load == nil else { return }
        commitPending()
    }

    /// True while the router has bytes queued that were not read yet and the
    /// group commit's bounds allow waiting for them.
    private func shouldWaitForMore() -> Bool {
        guard let session, session.isOpen, !session.connection.isReadPaused, pendingBytes < configuration.groupCommitBytes,
            MonotonicClock.now() - pendingSince < MonotonicClock.ms(configuration.groupCommitMilliseconds)
        else { return false }
        var queued: Int32 = 0
        // FIONREAD (0x541B, ioctl_list(2)): bytes readable on the socket.
        return ioctl(session.connection.fd.rawValue, 0x541B, &queued) == 0 && queued > 0
    }

    private func commitPending() {
        guard !pending.isEmpty else { return }
        // While commits fail (a full disk), one batch at a time: space that
        // comes back a little at a time is used at once, instead of waiting
        // until the whole backlog fits in one transaction.
        let count = failure == nil ? pending.count : 1
        do {
            let outcome = try engine.commit(count == pending.count ? pending : Array(pending.prefix(count)))
            statistics.commits += 1
            lastCommitEnded = MonotonicClock.now()
            statistics.batches += outcome.batches
            statistics.linesStored += outcome.linesStored
            statistics.linesSkipped += outcome.linesSkipped
            lastCommitBytes = 0
            for batch in pending.prefix(count) { lastCommitBytes += batch.records.count + 8 }
            pendingBytes -= lastCommitBytes
            pending.removeFirst(count)
            if pending.isEmpty { pendingBytes = 0 }
            retryDelay = 0
            if failure != nil && pending.isEmpty {
                failure = nil
                Log.info(
                    "history store commits again", ["failed_for_ms": (MonotonicClock.now() - failingSince) / 1_000_000])
                session?.send(.status(.healthy))
            }
            if let session, session.isOpen, pendingOwner == ObjectIdentifier(session) {
                session.send(.committed(through: outcome.through))
                if session.connection.isReadPaused && waiting !== session && pendingBytes < configuration.maxPendingBytes {
                    session.connection.isReadPaused = false
                }
            }
            if !pending.isEmpty { loop.atEndOfTurn { [unowned self] in commitPending() } }
            if engine.journalWantsFolding && !foldFailing { scheduleFold() }
        } catch {
            statistics.failedCommits += 1
            commitFailed(error)
        }
    }

    /// Rolled back already; keeps the batches, tells the router and the log
    /// (once per reason), and tries again after a growing delay.
    private func commitFailed(_ error: SQLiteError) {
        let reason = error.message
        if failure != reason {
            if failure == nil { failingSince = MonotonicClock.now() }
            failure = reason
            Log.warn(
                "history store cannot commit; lines wait and are retried",
                ["reason": reason, "code": error.codeName, "pending_batches": pending.count, "pending_bytes": pendingBytes])
            session?.send(.status(.failing(reason: reason)))
        }
        retryDelay =
            retryDelay == 0 ? configuration.retryInitialMilliseconds : min(retryDelay * 2, configuration.retryMaximumMilliseconds)
        if let retryTimer { loop.cancel(retryTimer) }
        retryTimer = loop.schedule(afterMilliseconds: retryDelay) { [unowned self] in
            retryTimer = nil
            if session?.load == nil { commitPending() }
        }
    }

    /// Folds the journal into chunks soon (in a turn of its own, so what
    /// the router sent meanwhile is read first).
    private func scheduleFold() {
        guard !foldScheduled else { return }
        foldScheduled = true
        loop.schedule(afterMilliseconds: 0) { [unowned self] in
            foldScheduled = false
            guard session?.load == nil, retryTimer == nil else { return }
            do {
                statistics.retentionRows += try engine.foldJournal()
            } catch {
                // Retention folds again every second and says when it fails.
                foldFailing = true
                Log.debug("could not fold the history journal now", ["error": error])
            }
        }
    }

    // MARK: Loads

    func startLoad(for session: StoreSession) {
        // Anything this router sent before asking is committed first.
        commitPending()
        let rooms: [StoredRoom]
        do {
            rooms = try engine.beginLoad()
        } catch {
            Log.error("cannot read the history journal for a load; closing the router connection", ["error": error])
            session.close("load failed: \(error.message)")
            return
        }
        session.load = StoreSession.LoadCursor(rooms: rooms)
        continueLoad(for: session)
    }

    /// Streams rooms while the socket's queue is short; the next part goes
    /// when it drains, so a big load never takes much memory or a long turn.
    func continueLoad(for session: StoreSession) {
        guard var cursor = session.load, session.isOpen else { return }
        let now = WallClock.milliseconds()
        var failure: SQLiteError?
        while cursor.index < cursor.rooms.count && session.connection.pendingOutboundBytes < 1 << 20 {
            let room = cursor.rooms[cursor.index]
            cursor.index += 1
            guard engine.rooms[room.name] === room else { continue }
            session.connection.write { buffer in
                do throws(SQLiteError) {
                    cursor.lines += try engine.appendLoad(of: room, now: now, into: &buffer)
                } catch {
                    failure = error
                }
            }
            if failure != nil { break }
        }
        if let failure {
            Log.error("cannot read the history for a load; closing the router connection", ["error": failure])
            session.load = nil
            engine.endLoad()
            session.close("load failed: \(failure.message)")
            return
        }
        guard cursor.index >= cursor.rooms.count else {
            session.load = cursor
            return
        }
        var gateways = 0
        session.connection.write { buffer in
            gateways = (try? engine.appendGateways(now: now, into: &buffer)) ?? 0
            StoreFrame.loaded(
                LoadSummary(rooms: UInt32(cursor.rooms.count), lines: UInt64(cursor.lines), gateways: UInt32(gateways))
            )
            .encode(into: &buffer)
        }
        session.load = nil
        engine.endLoad()
        Log.info(
            "load sent",
            [
                "rooms": cursor.rooms.count, "lines": cursor.lines, "gateways": gateways,
                "ms": (MonotonicClock.now() - cursor.startedAt) / 1_000_000,
            ])
        if !pending.isEmpty { scheduleCommit() }
    }

    // MARK: Retention

    private func scheduleRetention() {
        loop.schedule(afterMilliseconds: configuration.retentionIntervalMilliseconds) { [unowned self] in
            runRetention()
            scheduleRetention()
        }
    }

    /// Small DELETE steps until there is nothing to do or the budget is spent.
    private func runRetention() {
        guard session?.load == nil else { return }
        let deadline = MonotonicClock.now() + MonotonicClock.ms(configuration.retentionBudgetMilliseconds)
        engine.pacer.begin()
        do {
            while MonotonicClock.now() < deadline {
                engine.pacer.check()
                let rows = try engine.retentionStep()
                if rows == 0 { break }
                statistics.retentionRows += rows
            }
            foldFailing = false
            if retentionFailure != nil {
                retentionFailure = nil
                Log.info("history retention works again")
            }
        } catch {
            if retentionFailure != error.message {
                retentionFailure = error.message
                Log.warn("history retention failed; retrying next second", ["error": error])
            }
        }
    }
}
