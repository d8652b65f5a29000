/// What `HTTPRequestParser.feed` found.
public enum HTTPParseResult: Sendable {
    /// The head is not complete yet; feed more bytes.
    case needMore
    /// The head is complete; `leftover` holds the bytes after the blank line (for a
    /// WebSocket upgrade they are the start of the frame stream).
    case complete(HTTPRequestHead, leftover: [UInt8])
    /// The head is malformed or too large; answer with `error.responseBytes()` and close.
    case failure(HTTPError)
}

/// An incremental, bounded parser for the head of one HTTP/1.1 request (RFC 9112 §2–5).
///
/// Feed it bytes as they arrive, split anywhere. It reads only the head: a WebSocket
/// upgrade request has no body, and whatever follows the blank line is returned as
/// leftover. After it returns `.complete` or `.failure` it is finished; further input
/// yields `.failure(.alreadyComplete)`.
public struct HTTPRequestParser: Sendable {
    private var scanner: HTTPHeadScanner
    private var isFinished = false

    /// Creates a parser that fails with 431 if the head (request line, header lines and
    /// the terminating blank line) exceeds `maxHeadBytes`.
    public init(maxHeadBytes: Int = 8192) {
        scanner = HTTPHeadScanner(maxHeadBytes: maxHeadBytes)
    }

    /// Consumes `bytes` and reports whether the head is complete.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        guard !isFinished else { return .failure(.alreadyComplete) }
        switch scanner.feed(bytes) {
        case .needMore:
            return .needMore
        case .tooLarge:
            isFinished = true
            return .failure(.headTooLarge)
        case .complete(let lines, let leftover):
            isFinished = true
            // The scanner is done; release its buffer along with this parser's result.
            let buffer = scanner.buffer
            scanner = HTTPHeadScanner(maxHeadBytes: scanner.maxHeadBytes)
            switch Self.parseHead(buffer, lines: lines) {
            case .success(let head): return .complete(head, leftover: leftover)
            case .failure(let error): return .failure(error)
            }
        }
    }

    private static func parseHead(_ buffer: [UInt8], lines: [Range<Int>]) -> Result<HTTPRequestHead, HTTPError> {
        // request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
        let parts = buffer[lines[0]].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3,
            !parts[0].isEmpty, parts[0].allSatisfy(HTTPHeaderFields.isTokenCharacter),
            !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
            let version = HTTPVersion(parts[2])
        else {
            return .failure(.malformedStartLine)
        }
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(lines.count - 1)
        for range in lines.dropFirst() {
            let line = buffer[range]
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
                return .failure(.obsoleteLineFolding)
            }
            guard let field = HTTPHeaderFields.parseLine(line) else { return .failure(.malformedHeader) }
            headers.append(field)
        }
        return .success(
            HTTPRequestHead(
                method: String(decoding: parts[0], as: UTF8.self),
                target: String(decoding: parts[1], as: UTF8.self),
                version: version,
                headers: headers))
    }
}
