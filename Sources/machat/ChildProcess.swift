@preconcurrency import Glibc
import Metrics
import Reactor

/// One supervised child: how to start it, whether it runs, and its restart
/// backoff.
final class ChildProcess {
    enum Role {
        case router
        case gateway
        case store
    }

    let name: String
    let role: Role
    let executable: String
    let arguments: [String]
    let listener: FileDescriptor?
    var pid: pid_t?
    var startedAt: UInt64 = 0
    /// Unexpected exits in a row without a healthy period between them.
    var consecutiveFailures = 0
    var restartTimer: TimerID?
    /// Stopped on purpose (rolling restart): restart at once, no backoff.
    var restartImmediately = false
    /// Restarts after an unexpected exit (`machat_child_restarts_total`).
    var restarts: UInt64 = 0
    /// With `-metrics`: the region this child counts into, passed as
    /// descriptor 4, and its slot there.
    var metricsRegion: FileDescriptor?
    var metricsSlot = 0
    /// The accept board of the gateways sharing this child's listener, and its slot.
    var accept: (board: AcceptBoard, slot: Int)?

    init(name: String, role: Role, executable: String, arguments: [String], listener: FileDescriptor?) {
        self.name = name
        self.role = role
        self.executable = executable
        self.arguments = arguments
        self.listener = listener
    }

    /// A child that ran this long before dying is treated as healthy again.
    static let healthyAfterNanoseconds: UInt64 = 10_000_000_000

    /// Delay before the next restart: 20 ms after a first crash, then doubling
    /// from 250 ms up to 10 s while it keeps crashing soon after starting.
    func nextRestartDelay(now: UInt64) -> Int {
        if now - startedAt >= Self.healthyAfterNanoseconds { consecutiveFailures = 0 }
        consecutiveFailures += 1
        if consecutiveFailures == 1 { return 20 }
        return min(10_000, 250 << min(consecutiveFailures - 2, 6))
    }

    func start(supervisorPID: pid_t) throws(SystemError) {
        var environment = ["MACHAT_SUPERVISOR_PID": String(supervisorPID)]
        var inherit: [(FileDescriptor, CInt)] = []
        if let listener {
            environment["LISTEN_FDS"] = "1"
            environment["LISTEN_FDNAMES"] = name
            inherit.append((listener, 3))
        }
        if let metricsRegion {
            environment[MetricsRegion.descriptorVariable] = String(MetricsRegion.inheritedDescriptor)
            environment[MetricsRegion.slotVariable] = String(metricsSlot)
            inherit.append((metricsRegion, MetricsRegion.inheritedDescriptor))
        }
        if let (board, slot) = accept {
            environment[AcceptBoard.descriptorVariable] = String(AcceptBoard.inheritedDescriptor)
            environment[AcceptBoard.slotVariable] = String(slot)
            environment[AcceptBoard.slotsVariable] = String(board.slotCount)
            inherit.append((board.file, AcceptBoard.inheritedDescriptor))
        }
        pid = try ProcessSpawner.spawn(executable: executable, arguments: arguments, environment: environment, inherit: inherit)
        startedAt = MonotonicClock.now()
    }

    func signal(_ signal: Int32) {
        if let pid { kill(pid, signal) }
    }
}
