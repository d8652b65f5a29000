import Reactor

/// A metrics region that could not be made or used.
public enum MetricsRegionError: Error, CustomStringConvertible, Sendable {
    /// A system call failed (memfd_create, ftruncate, mmap, fstat).
    case system(SystemError)
    /// The inherited descriptor does not hold a region of this schema.
    case incompatible(String)
    /// The slot number is not in the region.
    case noSuchSlot(Int, slots: Int)

    public var description: String {
        switch self {
        case .system(let error): return "metrics region: \(error)"
        case .incompatible(let why): return "metrics region: \(why)"
        case .noSuchSlot(let slot, let slots): return "metrics region: slot \(slot) is not among its \(slots) slots"
        }
    }
}
