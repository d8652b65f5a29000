@preconcurrency import Glibc
import CSharedMemory
import Reactor

/// The memory every process of a node counts into: a header and one slot
/// per process (`MetricsLayout`).
///
/// `machat` creates it as a memory file (memfd_create(2)) mapped MAP_SHARED,
/// and passes the descriptor to each child as descriptor 4 with
/// `MACHAT_METRICS_FD=4` and `MACHAT_METRICS_SLOT=N` (the way LISTEN_FDS
/// passes listening sockets); the child maps it, closes the descriptor and
/// writes only its own slot. A process started by hand counts into a private
/// region of its own instead, so the code that counts is the same.
public final class MetricsRegion {
    /// Descriptor number a child receives the region on.
    public static let inheritedDescriptor: CInt = 4
    /// Environment variables naming the descriptor and the child's slot.
    public static let descriptorVariable = "MACHAT_METRICS_FD"
    public static let slotVariable = "MACHAT_METRICS_SLOT"

    public let slotCount: Int
    /// The memory file, for passing to children (shared regions made here only).
    public let file: FileDescriptor?
    let base: UnsafeMutablePointer<UInt64>
    private let byteCount: Int
    private let isMapped: Bool

    private init(base: UnsafeMutablePointer<UInt64>, byteCount: Int, slotCount: Int, file: FileDescriptor?, isMapped: Bool) {
        self.base = base
        self.byteCount = byteCount
        self.slotCount = slotCount
        self.file = file
        self.isMapped = isMapped
    }

    deinit {
        if isMapped {
            munmap(base, byteCount)
        } else {
            base.deallocate()
        }
        file?.close()
    }

    /// A shared region for `slots` processes, all cells zero. Its descriptor
    /// is close-on-exec and numbered 10 or above, so passing it to a child
    /// as descriptor 4 is always a real dup2.
    public static func createShared(slots: Int) throws(MetricsRegionError) -> MetricsRegion {
        let raw = csharedmemory_memfd_create("machat-metrics")
        guard raw >= 0 else { throw .system(SystemError("memfd_create", errno: errno)) }
        let high = fcntl(raw, F_DUPFD_CLOEXEC, 10)
        let err = errno
        close(raw)
        guard high >= 0 else { throw .system(SystemError("fcntl", errno: err)) }
        let file = FileDescriptor(rawValue: high)
        let size = MetricsLayout.byteCount(slots: slots)
        do throws(SystemError) {
            _ = try Syscall.retrying("ftruncate") { ftruncate(high, off_t(size)) }
        } catch {
            file.close()
            throw .system(error)
        }
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, high, 0), memory != MAP_FAILED else {
            let err = errno
            file.close()
            throw .system(SystemError("mmap", errno: err))
        }
        // A new memory file reads as zeros: only the header needs writing.
        let base = memory.bindMemory(to: UInt64.self, capacity: size / 8)
        base[0] = MetricsLayout.magic
        base[1] = MetricsLayout.fingerprint
        base[2] = UInt64(slots)
        base[3] = UInt64(MetricsLayout.cellsPerSlot)
        return MetricsRegion(base: base, byteCount: size, slotCount: slots, file: file, isMapped: true)
    }

    /// A region in this process's own memory (a process started by hand, tests).
    public static func makePrivate(slots: Int = 1) -> MetricsRegion {
        let cells = MetricsLayout.byteCount(slots: slots) / 8
        let base = UnsafeMutablePointer<UInt64>.allocate(capacity: cells)
        base.initialize(repeating: 0, count: cells)
        base[0] = MetricsLayout.magic
        base[1] = MetricsLayout.fingerprint
        base[2] = UInt64(slots)
        base[3] = UInt64(MetricsLayout.cellsPerSlot)
        return MetricsRegion(base: base, byteCount: cells * 8, slotCount: slots, file: nil, isMapped: false)
    }

    /// Maps a region made by `createShared` from an inherited descriptor
    /// (which stays open; the caller closes it).
    public static func attach(_ fd: FileDescriptor) throws(MetricsRegionError) -> MetricsRegion {
        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else { throw .system(SystemError("fstat", errno: errno)) }
        let size = Int(info.st_size)
        guard size >= MetricsLayout.byteCount(slots: 0) else {
            throw .incompatible("descriptor \(fd.rawValue) holds \(size) bytes, too few for a region")
        }
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, 0), memory != MAP_FAILED else {
            throw .system(SystemError("mmap", errno: errno))
        }
        let base = memory.bindMemory(to: UInt64.self, capacity: size / 8)
        let slots = Int(truncatingIfNeeded: base[2])
        var problem: String?
        if base[0] != MetricsLayout.magic {
            problem = "descriptor \(fd.rawValue) is not a metrics region"
        } else if base[1] != MetricsLayout.fingerprint || base[3] != UInt64(MetricsLayout.cellsPerSlot) {
            problem = "the region was made by a machat with another metrics schema; use binaries of one build"
        } else if slots < 0 || MetricsLayout.byteCount(slots: slots) > size {
            problem = "the region's header does not match its size"
        }
        if let problem {
            munmap(memory, size)
            throw .incompatible(problem)
        }
        return MetricsRegion(base: base, byteCount: size, slotCount: slots, file: nil, isMapped: true)
    }

    /// The slot of process `index`.
    public func slot(_ index: Int) -> MetricsSlot {
        precondition(index >= 0 && index < slotCount, "metrics slot \(index) out of range")
        return MetricsSlot(region: self, cells: base + MetricsLayout.headerCells + index * MetricsLayout.cellsPerSlot)
    }

    /// A copy of slot `index`'s cells (for formatting; each cell is read once).
    public func cells(ofSlot index: Int) -> [UInt64] {
        let start = base + MetricsLayout.headerCells + index * MetricsLayout.cellsPerSlot
        return Array(UnsafeBufferPointer(start: start, count: MetricsLayout.cellsPerSlot))
    }

    /// Zeroes the gauges of a slot whose process has exited: its connections,
    /// link and rooms are gone. Counters and histograms keep their values, so
    /// a restarted child continues them and the node's totals never go back
    /// (a restart of `machat` itself starts every series from zero).
    public func resetGauges(ofSlot index: Int) {
        let start = base + MetricsLayout.headerCells + index * MetricsLayout.cellsPerSlot
        for metric in Metric.allCases {
            let family = metric.family
            guard case .gauge = family.kind, case .slot = family.source else { continue }
            let offset = MetricsLayout.offset(of: metric)
            for cell in offset..<(offset + family.cellCount) { start[cell] = 0 }
        }
    }

    /// This process's slot: the one `machat` passed (MACHAT_METRICS_FD and
    /// MACHAT_METRICS_SLOT), or one of a private region when there is none
    /// or it cannot be used (logged). The descriptor is closed and the
    /// variables removed, so nothing leaks to processes this one starts.
    public static func slotForThisProcess() -> MetricsSlot {
        let descriptor = getenv(descriptorVariable).map { String(cString: $0) }
        let slot = getenv(slotVariable).map { String(cString: $0) }
        unsetenv(descriptorVariable)
        unsetenv(slotVariable)
        return inheritedSlot(descriptor: descriptor, slot: slot)
    }

    /// The slot the variables' values name (see `slotForThisProcess`); the
    /// descriptor, if it is one, is closed.
    public static func inheritedSlot(descriptor: String?, slot: String?) -> MetricsSlot {
        guard descriptor != nil || slot != nil else { return makePrivate().slot(0) }
        guard let fdNumber = descriptor.flatMap({ CInt($0) }), fdNumber >= 0, let slotNumber = slot.flatMap({ Int($0) }) else {
            Log.warn("ignoring malformed metrics variables; counting privately", ["fd": descriptor ?? "", "slot": slot ?? ""])
            return makePrivate().slot(0)
        }
        let fd = FileDescriptor(rawValue: fdNumber)
        defer { fd.close() }
        do throws(MetricsRegionError) {
            let region = try attach(fd)
            guard slotNumber >= 0 && slotNumber < region.slotCount else {
                throw .noSuchSlot(slotNumber, slots: region.slotCount)
            }
            return region.slot(slotNumber)
        } catch {
            Log.warn("cannot use the inherited metrics region; counting privately", ["error": error])
            return makePrivate().slot(0)
        }
    }
}
