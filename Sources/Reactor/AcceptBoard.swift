@preconcurrency import Glibc
import CSharedMemory

/// How many connections each gateway sharing a listening socket holds, in a
/// small shared-memory table (one slot per gateway, each on its own cache
/// line), so a gateway accepts only while it is among the least loaded and a
/// full one leaves connections to siblings with room.
///
/// Level-triggered epoll on one shared socket wakes the most recent waiter
/// first, so without this one gateway takes most connections, and a full
/// gateway refuses clients a sibling could hold. `machat` creates the board,
/// passes it to each gateway (descriptor 5) and marks a gateway's slot absent
/// when it exits; each gateway writes only its own slot (single writer, plain
/// aligned 8-byte stores) and reads the others'.
public final class AcceptBoard {
    public static let inheritedDescriptor: CInt = 5
    public static let descriptorVariable = "MACHAT_ACCEPT_FD"
    public static let slotVariable = "MACHAT_ACCEPT_SLOT"
    public static let slotsVariable = "MACHAT_ACCEPT_SLOTS"
    /// A slot whose gateway is not running.
    static let absent = UInt64.max
    static let stride = 64

    public let file: FileDescriptor
    public let slotCount: Int
    /// This process's slot, or -1 in the supervisor.
    public let ownSlot: Int
    private let base: UnsafeMutableRawPointer

    private init(file: FileDescriptor, slotCount: Int, ownSlot: Int, base: UnsafeMutableRawPointer) {
        self.file = file
        self.slotCount = slotCount
        self.ownSlot = ownSlot
        self.base = base
    }

    /// A new board with every slot absent (the supervisor).
    public static func create(slots: Int) throws(SystemError) -> AcceptBoard {
        let raw = csharedmemory_memfd_create("machat-accept")
        guard raw >= 0 else { throw SystemError("memfd_create", errno: errno) }
        let file = FileDescriptor(rawValue: raw)
        guard ftruncate(raw, off_t(slots * stride)) == 0 else {
            let error = SystemError("ftruncate", errno: errno)
            file.close()
            throw error
        }
        let board = try map(file, slots: slots, ownSlot: -1)
        for slot in 0..<slots { board.store(absent, at: slot) }
        return board
    }

    /// The board passed by `machat`, if any (a gateway started by hand has none).
    public static func inherited() -> AcceptBoard? {
        guard let fdText = getenv(descriptorVariable), let slotText = getenv(slotVariable), let slotsText = getenv(slotsVariable),
            let fd = CInt(String(cString: fdText)), let slot = Int(String(cString: slotText)),
            let slots = Int(String(cString: slotsText)), slot >= 0, slot < slots
        else { return nil }
        unsetenv(descriptorVariable)
        unsetenv(slotVariable)
        unsetenv(slotsVariable)
        let file = FileDescriptor(rawValue: fd)
        try? file.setCloseOnExec(true)
        do {
            return try map(file, slots: slots, ownSlot: slot)
        } catch {
            Log.warn("accept board not usable; accepting without it", ["error": error])
            return nil
        }
    }

    private static func map(_ file: FileDescriptor, slots: Int, ownSlot: Int) throws(SystemError) -> AcceptBoard {
        let pointer = mmap(nil, slots * stride, PROT_READ | PROT_WRITE, MAP_SHARED, file.rawValue, 0)
        guard let pointer, pointer != MAP_FAILED else { throw SystemError("mmap", errno: errno) }
        return AcceptBoard(file: file, slotCount: slots, ownSlot: ownSlot, base: pointer)
    }

    deinit {
        munmap(base, slotCount * Self.stride)
    }

    @inline(__always)
    private func load(_ slot: Int) -> UInt64 {
        base.load(fromByteOffset: slot * Self.stride, as: UInt64.self)
    }

    @inline(__always)
    private func store(_ value: UInt64, at slot: Int) {
        base.storeBytes(of: value, toByteOffset: slot * Self.stride, as: UInt64.self)
    }

    /// This gateway now holds `connections`.
    public func publish(_ connections: Int) {
        guard ownSlot >= 0 else { return }
        store(UInt64(connections), at: ownSlot)
    }

    /// The gateway in `slot` is gone (the supervisor, on its exit).
    public func markAbsent(_ slot: Int) {
        store(Self.absent, at: slot)
    }

    /// The fewest connections any running sibling holds; nil if none runs.
    public func leastLoadedSibling() -> Int? {
        var least = Self.absent
        for slot in 0..<slotCount where slot != ownSlot {
            least = min(least, load(slot))
        }
        return least == Self.absent ? nil : Int(least)
    }
}
