/// Builds the text of outgoing lines in one reused buffer (no allocation per
/// message): data lines `<seq> <stamp-ns> <padding>` padded with `x` to the
/// configured size, as the loadgen does, and probes `probe <k>`.
final class PayloadBuilder {
    private let buffer: UnsafeMutableRawBufferPointer
    private let size: Int

    init(size: Int) {
        self.size = size
        buffer = .allocate(byteCount: size + 64, alignment: 8)
    }

    deinit {
        buffer.deallocate()
    }

    /// The data line for `sequence` sent at `stamp` (monotonic ns); valid until the next call.
    @inline(__always)
    func build(sequence: Int, stamp: UInt64) -> UnsafeRawBufferPointer {
        var count = write(UInt64(sequence), at: 0)
        buffer[count] = UInt8(ascii: " ")
        count = write(stamp, at: count + 1)
        buffer[count] = UInt8(ascii: " ")
        count += 1
        if count < size {
            buffer.baseAddress!.advanced(by: count).initializeMemory(
                as: UInt8.self, repeating: UInt8(ascii: "x"), count: size - count)
            count = size
        }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// `probe <k>`; valid until the next call.
    func probe(_ k: Int) -> UnsafeRawBufferPointer {
        var count = 0
        for byte in "probe ".utf8 {
            buffer[count] = byte
            count += 1
        }
        count = write(UInt64(max(0, k)), at: count)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// Writes `value` in decimal at `offset`; returns the offset after it.
    @inline(__always)
    private func write(_ value: UInt64, at offset: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var remaining = value
        var index = offset + digits - 1
        while index >= offset {
            buffer[index] = UInt8(ascii: "0") &+ UInt8(remaining % 10)
            remaining /= 10
            index -= 1
        }
        return offset + digits
    }
}
