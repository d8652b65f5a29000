/// Collects bytes until the blank line that ends an HTTP/1.x head (RFC 9112 §2.1),
/// splitting them into lines; shared by the request and response parsers.
///
/// Lines end in CRLF; a bare LF is tolerated (RFC 9112 §2.2). Empty lines before the
/// start line are skipped, as RFC 9112 §2.2 recommends. The whole head, including its
/// terminator and any skipped lines, may be at most `maxHeadBytes` long; the scanner
/// never buffers more than that, whatever the size of the reads.
struct HTTPHeadScanner {
    enum Result {
        case needMore
        /// `lines` index into `buffer` and exclude their terminators; `leftover` follows the blank line.
        case complete(lines: [Range<Int>], leftover: [UInt8])
        case tooLarge
    }

    let maxHeadBytes: Int
    private(set) var buffer: [UInt8] = []
    private var lines: [Range<Int>] = []
    private var lineStart = 0

    init(maxHeadBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
    }

    mutating func feed(_ input: UnsafeRawBufferPointer) -> Result {
        let lineFeed = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var index = 0
        while index < input.count {
            guard buffer.count < maxHeadBytes else { return .tooLarge }
            let byte = input[index]
            index += 1
            buffer.append(byte)
            guard byte == lineFeed else { continue }
            var end = buffer.count - 1
            if end > lineStart, buffer[end - 1] == carriageReturn {
                end -= 1
            }
            if end == lineStart {
                if lines.isEmpty {
                    lineStart = buffer.count
                    continue
                }
                return .complete(lines: lines, leftover: Array(input[index...]))
            }
            lines.append(lineStart..<end)
            lineStart = buffer.count
        }
        return .needMore
    }
}
