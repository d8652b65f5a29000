@preconcurrency import Glibc
import CLinux

/// Ties a child process's life to its supervisor's.
public enum ProcessLifetime {
    /// Asks the kernel to send SIGTERM when the parent dies (PR_SET_PDEATHSIG),
    /// then checks the parent did not die before the call (the race prctl(2)
    /// describes); exits if it did. `expectedParent` is the supervisor's pid
    /// passed down by the supervisor, or nil when started by hand.
    public static func dieWithParent(expectedParent: pid_t?) {
        _ = clinux_prctl_set_pdeathsig(SIGTERM)
        if let expected = expectedParent, getppid() != expected {
            Log.error("supervisor is gone; exiting", ["expected_parent": expected])
            exit(1)
        }
    }

    /// Marks this process as background work for the kernel's scheduler
    /// (SCHED_BATCH): it keeps its fair share of CPU, but waking up does not
    /// preempt whatever is running. For processes off the delivery path
    /// (the history store), so their wake-ups never delay a delivery. Logs
    /// and goes on if the kernel refuses.
    public static func runAsBackgroundWork() {
        if clinux_sched_batch() != 0 {
            Log.warn(
                "cannot run as background work (SCHED_BATCH); going on",
                ["error": SystemError("sched_setscheduler", errno: errno)])
        }
    }
}
