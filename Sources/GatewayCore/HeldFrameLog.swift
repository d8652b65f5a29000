import RouterProtocol

/// The frames a gateway has sent to the router but the router has not yet
/// acknowledged, in order. After a router restart they are sent again, so a
/// line a client sent is never silently lost (at-least-once; see README,
/// "Operations"). While the router is away, new frames wait here too.
struct HeldFrameLog {
    private struct Entry {
        let conn: ConnectionID
        let length: Int
    }

    private var bytes: [UInt8] = []
    private var byteHead = 0
    private var entries: [Entry] = []
    private var entryHead = 0
    /// Sequence number of the oldest held frame (of the next one when empty).
    private(set) var firstSequence: UInt64 = 1

    /// Bytes held.
    var byteCount: Int { bytes.count - byteHead }
    /// Frames held.
    var frameCount: Int { entries.count - entryHead }
    /// Sequence number the next appended frame gets.
    var nextSequence: UInt64 { firstSequence + UInt64(frameCount) }

    /// Appends one frame written by `encode` on behalf of `conn`; returns its
    /// sequence number and the encoded bytes' range for sending.
    mutating func append(conn: ConnectionID, _ encode: (inout [UInt8]) -> Void) -> (sequence: UInt64, length: Int) {
        let start = bytes.count
        encode(&bytes)
        let length = bytes.count - start
        let sequence = nextSequence
        entries.append(Entry(conn: conn, length: length))
        return (sequence, length)
    }

    /// The most recently appended frame's bytes (to copy to the socket).
    func withLast(_ length: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[($0.count - length)...])) }
    }

    /// Every held frame's bytes, oldest first (to resend after a reconnect).
    func withAll(_ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[byteHead...])) }
    }

    /// Drops frames up to and including `sequence`, calling `released` with
    /// each dropped frame's connection and size.
    mutating func acknowledge(through sequence: UInt64, released: (ConnectionID, Int) -> Void) {
        while entryHead < entries.count && firstSequence <= sequence {
            let entry = entries[entryHead]
            entryHead += 1
            byteHead += entry.length
            firstSequence += 1
            released(entry.conn, entry.length)
        }
        compact()
    }

    private mutating func compact() {
        if entryHead == entries.count {
            // Release big storage once empty so an idle gateway stays small.
            if bytes.capacity > 1 << 20 { bytes = [] } else { bytes.removeAll(keepingCapacity: true) }
            if entries.capacity > 65_536 { entries = [] } else { entries.removeAll(keepingCapacity: true) }
            byteHead = 0
            entryHead = 0
        } else if byteHead > 1 << 20 && byteHead * 2 > bytes.count {
            bytes.removeFirst(byteHead)
            byteHead = 0
            entries.removeFirst(entryHead)
            entryHead = 0
        }
    }
}
