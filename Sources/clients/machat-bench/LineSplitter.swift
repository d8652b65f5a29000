@preconcurrency import Glibc

/// Splits a TCP byte stream into lines, in place where possible: only a line
/// cut by the end of a read is copied (into `carry`, reused), so the common
/// case costs one memchr per line and no allocation.
struct LineSplitter {
    /// The start of a line whose newline has not arrived yet.
    private var carry: [UInt8] = []
    /// The longest line accepted; the server's own limit is far below.
    let maxLineBytes: Int

    init(maxLineBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Hands every complete line in `bytes` (after what was carried) to `sink`;
    /// false if a line grew past `maxLineBytes`.
    @inline(__always)
    mutating func feed<Sink: LineSink>(_ bytes: UnsafeRawBufferPointer, into sink: inout Sink) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        var start = 0
        if !carry.isEmpty {
            guard let newline = memchr(base, 10, bytes.count) else {
                carry.append(contentsOf: bytes)
                return carry.count <= maxLineBytes
            }
            let cut = base.distance(to: UnsafeRawPointer(newline))
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<cut]))
            carry.withUnsafeBytes { sink.line($0) }
            carry.removeAll(keepingCapacity: carry.capacity <= 4096)
            start = cut + 1
        }
        while start < bytes.count {
            guard let newline = memchr(base + start, 10, bytes.count - start) else {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
                return carry.count <= maxLineBytes
            }
            let cut = base.distance(to: UnsafeRawPointer(newline))
            sink.line(UnsafeRawBufferPointer(rebasing: bytes[start..<cut]))
            start = cut + 1
        }
        return true
    }

    /// Hands each `\n`-separated line of one WebSocket message to `sink`; a
    /// final line without a newline counts too.
    @inline(__always)
    static func splitMessage<Sink: LineSink>(_ message: UnsafeRawBufferPointer, into sink: inout Sink) {
        guard let base = message.baseAddress else { return }
        var start = 0
        while start < message.count {
            guard let newline = memchr(base + start, 10, message.count - start) else {
                sink.line(UnsafeRawBufferPointer(rebasing: message[start...]))
                return
            }
            let cut = base.distance(to: UnsafeRawPointer(newline))
            sink.line(UnsafeRawBufferPointer(rebasing: message[start..<cut]))
            start = cut + 1
        }
    }
}
