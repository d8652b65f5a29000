@preconcurrency import Glibc

/// Ends the process, whatever state the loop is in, once the run has taken
/// longer than all its phase limits plus a margin (exit 3). SIGALRM with a
/// handler that only calls async-signal-safe write(2) and _exit(2).
enum Watchdog {
    static func arm(seconds: Double, json: Bool) {
        if json {
            signal(SIGALRM) { _ in
                let text = "{\"tool\":\"machat-bench\",\"watchdog\":true,\"errors\":1,\"error_sample\":\"watchdog fired\"}\n"
                text.withCString { _ = write(1, $0, strlen($0)) }
                _exit(3)
            }
        } else {
            signal(SIGALRM) { _ in
                let text = "machat-bench: watchdog fired: the run exceeded its time limits; exiting\n"
                text.withCString { _ = write(2, $0, strlen($0)) }
                _exit(3)
            }
        }
        alarm(UInt32(max(1, seconds.rounded(.up))))
    }
}
