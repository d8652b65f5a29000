import Metrics

/// The router's gauges, refreshed once a second with the engine's
/// housekeeping: counting the history's lines walks every log, which is no
/// work for the delivery path.
extension RouterServer {
    func publishMetrics() {
        metrics.rooms.set(directory.roomCount)
        metrics.members.set(directory.memberCount)
        metrics.backingUp.set(engine.isBackingHealthy)
        // The memory engine holds the history here; a shared engine's lives elsewhere.
        if let memory = engine as? MemoryEngine {
            metrics.historyLines.set(memory.lineCount)
            metrics.historyBytes.set(memory.totalBytes)
        }
    }
}
