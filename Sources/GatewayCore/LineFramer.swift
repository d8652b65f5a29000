/// Splits a TCP byte stream into lines, across any read boundaries.
///
/// A line ends at `\n`; a `\r` right before it is dropped. Complete lines are
/// passed straight out of the read buffer; only a line that spans reads is
/// copied, so an idle connection holds no buffer.
public struct LineFramer: Sendable {
    /// A line grew past the limit before its newline arrived.
    public struct LineTooLong: Error, Equatable, Sendable {
        public let limit: Int
    }

    public let maxLineBytes: Int
    private var partial: [UInt8] = []

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes of an unfinished line held between reads.
    public var bufferedByteCount: Int { partial.count }

    /// Calls `onLine` for each complete line in `bytes` (without `\n` or a
    /// trailing `\r`); the pointer is valid only during the call.
    public mutating func feed(
        _ bytes: UnsafeRawBufferPointer, onLine: (UnsafeRawBufferPointer) -> Void
    ) -> LineTooLong? {
        var start = 0
        while start < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                // No newline: keep the tail for the next read, within the limit.
                // One byte over the limit is allowed only if it is the `\r`
                // of a CRLF whose `\n` has not arrived yet.
                let total = partial.count + rest.count
                if total > maxLineBytes + 1 || (total == maxLineBytes + 1 && rest.last != UInt8(ascii: "\r")) {
                    partial = []
                    return LineTooLong(limit: maxLineBytes)
                }
                partial.append(contentsOf: rest)
                return nil
            }
            let lineEnd = start + (newline - rest.startIndex)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd])
            if partial.isEmpty {
                if let error = emit(piece, onLine) { return error }
            } else {
                partial.append(contentsOf: piece)
                let line = partial
                partial = []
                let error = line.withUnsafeBytes { emit($0, onLine) }
                if let error { return error }
            }
            start = lineEnd + 1
        }
        return nil
    }

    private func emit(_ line: UnsafeRawBufferPointer, _ onLine: (UnsafeRawBufferPointer) -> Void) -> LineTooLong? {
        var body = line
        if let last = body.last, last == UInt8(ascii: "\r") {
            body = UnsafeRawBufferPointer(rebasing: body.dropLast())
        }
        if body.count > maxLineBytes { return LineTooLong(limit: maxLineBytes) }
        onLine(body)
        return nil
    }
}
