/// Bytes queued for one socket: appended by the owner, drained by `send`.
///
/// Contiguous, so one `send` flushes a whole loop turn of messages for a
/// connection. Storage is allocated on first use and released once drained if
/// it grew past `retainedCapacity`, so idle connections stay small.
public struct OutboundBuffer {
    private var storage: [UInt8] = []
    private var head = 0
    /// Capacity the storage had when it was last released: a busy connection
    /// gets it back in one allocation on its next write instead of growing
    /// through every doubling again each loop turn.
    private var releasedCapacity = 0

    /// Capacity kept after a full drain; anything larger is released.
    public var retainedCapacity = 4096

    public init() {}

    /// Bytes waiting to be written.
    @inline(__always)
    public var count: Int { storage.count - head }

    @inline(__always)
    public var isEmpty: Bool { storage.count == head }

    /// Bytes of memory the buffer holds (for accounting and tests).
    public var capacity: Int { storage.capacity }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if releasedCapacity != 0 { restoreCapacity() }
        storage.append(contentsOf: bytes)
    }

    @inline(__always)
    public mutating func append(_ bytes: [UInt8]) {
        if releasedCapacity != 0 { restoreCapacity() }
        storage.append(contentsOf: bytes)
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if releasedCapacity != 0 { restoreCapacity() }
        storage.append(byte)
    }

    private mutating func restoreCapacity() {
        storage.reserveCapacity(releasedCapacity)
        releasedCapacity = 0
    }

    /// Appends through a closure that writes into the storage directly (encoders
    /// that build frames in place).
    @inline(__always)
    public mutating func withStorage<R>(_ body: (inout [UInt8]) throws -> R) rethrows -> R {
        if releasedCapacity != 0 { restoreCapacity() }
        return try body(&storage)
    }

    /// Calls `body` with the unsent bytes; `body` returns how many it wrote.
    public mutating func drain(
        _ body: (UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int>
    ) throws(SystemError) -> IOResult<Int> {
        if isEmpty { return .done(0) }
        let head = self.head
        let outcome: Result<IOResult<Int>, SystemError> = storage.withUnsafeBytes { raw in
            do throws(SystemError) {
                return .success(try body(UnsafeRawBufferPointer(rebasing: raw[head...])))
            } catch {
                return .failure(error)
            }
        }
        let result = try outcome.get()
        if case .done(let written) = result { consume(written) }
        return result
    }

    /// Drops `n` bytes from the front.
    public mutating func consume(_ n: Int) {
        head += n
        if head == storage.count {
            if storage.capacity > retainedCapacity {
                releasedCapacity = min(storage.capacity, Self.restoredCapacityLimit)
                storage = []
            } else {
                storage.removeAll(keepingCapacity: true)
            }
            head = 0
        } else if head >= 64 * 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Discards everything and releases the storage.
    public mutating func reset() {
        storage = []
        head = 0
        releasedCapacity = 0
    }

    /// The most a released buffer gets back at once.
    static let restoredCapacityLimit = 256 << 10
}
