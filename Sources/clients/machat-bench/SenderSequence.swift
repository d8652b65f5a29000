/// What one receiver has seen of one sender's sequence numbers: exactly-once
/// (each number at most once) and per-sender FIFO (never a number below one
/// already seen).
///
/// Numbers below `windowStart` (a multiple of 64) have all arrived; `words`
/// holds one bit per number from there on. Delivery is in order in the normal
/// case, so the window stays one or two words long whatever the run length.
struct SenderSequence {
    private var windowStart: Int = 0
    private var words: [UInt64] = []
    /// The highest number seen, or -1.
    private(set) var highest: Int = -1
    /// Distinct numbers seen.
    private(set) var distinct: Int = 0

    /// What `see` found out about one number.
    enum Observation {
        case inOrder
        case duplicate
        /// New, but a higher number arrived before it.
        case outOfOrder
    }

    @inline(__always)
    mutating func see(_ sequence: Int) -> Observation {
        if sequence < windowStart { return .duplicate }
        let offset = sequence - windowStart
        let word = offset >> 6
        let bit = UInt64(1) << UInt64(offset & 63)
        if word >= words.count {
            words.append(contentsOf: repeatElement(0, count: word - words.count + 1))
        }
        if words[word] & bit != 0 { return .duplicate }
        words[word] |= bit
        distinct += 1
        // Slide the window past every complete word.
        if word == 0 && words[0] == .max {
            while let first = words.first, first == .max {
                words.removeFirst()
                windowStart += 64
            }
        }
        if sequence < highest { return .outOfOrder }
        highest = sequence
        return .inOrder
    }
}
