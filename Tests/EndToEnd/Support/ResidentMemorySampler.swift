@preconcurrency import Glibc
import Foundation
import Synchronization

/// Samples the resident memory (VmRSS) of a few processes from a thread of
/// its own while an attack runs: the first sample, the peak and the last.
final class ResidentMemorySampler: @unchecked Sendable {
    /// One process's resident memory in KiB.
    struct Usage: CustomStringConvertible {
        var before: Int
        var peak: Int
        var after: Int

        var description: String { "before \(before) KiB, peak \(peak) KiB, after \(after) KiB" }
    }

    private let pids: [pid_t]
    private let intervalMicroseconds: UInt32
    private let usage: Mutex<[pid_t: Usage]>
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Takes the first sample of each process now, then keeps sampling every
    /// `intervalMilliseconds` until `finish`.
    init(pids: [pid_t], intervalMilliseconds: Int = 5) {
        self.pids = pids
        intervalMicroseconds = UInt32(intervalMilliseconds * 1000)
        var first: [pid_t: Usage] = [:]
        for pid in pids {
            let kib = MachatProcess.residentKiB(pid) ?? 0
            first[pid] = Usage(before: kib, peak: kib, after: kib)
        }
        usage = Mutex(first)
        let thread = Thread { [self] in
            // Bounded: at most ten minutes of samples even if nobody stops it.
            let deadline = MachatProcess.now() + 600
            while !stopRequested.load(ordering: .relaxed) && MachatProcess.now() < deadline {
                sample()
                usleep(intervalMicroseconds)
            }
            finished.signal()
        }
        thread.start()
    }

    private func sample() {
        for pid in pids {
            guard let kib = MachatProcess.residentKiB(pid) else { continue }
            usage.withLock { usage in
                guard var entry = usage[pid] else { return }
                entry.peak = max(entry.peak, kib)
                entry.after = kib
                usage[pid] = entry
            }
        }
    }

    /// Stops sampling, takes a last sample, and returns each process's usage.
    func finish() -> [pid_t: Usage] {
        stopRequested.store(true, ordering: .relaxed)
        _ = finished.wait(timeout: .now() + 5)
        sample()
        return usage.withLock { $0 }
    }
}
