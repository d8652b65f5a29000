/// Finds the end of the join object in a TCP byte stream, across any read
/// boundaries, without parsing it: tracks nesting and strings only.
///
/// The join is one JSON object; whitespace after it up to and including the
/// first newline belongs to the join too; the first other byte starts the
/// first line, which must not be lost (the seed lost it).
public struct JoinScanner: Sendable {
    /// What a `feed` found.
    public enum Outcome: Equatable, Sendable {
        /// The object is not complete yet; every byte was consumed.
        case needMore
        /// The object is complete: `object` holds its bytes, and the first
        /// `consumed` bytes of this feed belonged to the join.
        case complete(object: [UInt8], consumed: Int)
        case failed(JoinError)
    }

    private enum Phase: Sendable {
        case leading
        case object
        /// After the object: whitespace until a newline belongs to the join.
        case trailer
        case finished
    }

    private var phase = Phase.leading
    private var buffer: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    private let maxBytes: Int

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// True while whitespace that belongs to the join may still arrive: the
    /// owner passes later reads through `skipTrailer` first.
    public var isInTrailer: Bool { phase == .trailer }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch phase {
            case .leading:
                if isWhitespace(byte) {
                    i += 1
                    continue
                }
                guard byte == UInt8(ascii: "{") else { return .failed(.notAnObject) }
                phase = .object
            case .object:
                if buffer.count >= maxBytes { return .failed(.tooLarge(max: maxBytes)) }
                buffer.append(byte)
                i += 1
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        phase = .trailer
                        let rest = UnsafeRawBufferPointer(rebasing: bytes[i...])
                        let object = buffer
                        buffer = []
                        return .complete(object: object, consumed: i + skipTrailer(rest))
                    }
                }
            case .trailer, .finished:
                return .complete(object: [], consumed: i)
            }
        }
        return .needMore
    }

    /// Consumes whitespace that still belongs to the join at the start of
    /// `bytes`; returns how many bytes to skip.
    public mutating func skipTrailer(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard phase == .trailer else { return 0 }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                phase = .finished
                return i + 1
            }
            if !isWhitespace(byte) {
                phase = .finished
                return i
            }
            i += 1
        }
        return i
    }

    private func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}
