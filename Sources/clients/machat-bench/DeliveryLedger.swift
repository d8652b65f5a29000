@preconcurrency import Glibc

/// Receives complete delivery lines (`name:text`, without the newline).
protocol LineSink {
    mutating func line(_ bytes: UnsafeRawBufferPointer)
}

/// What one member checks about the deliveries it receives: which sender and
/// sequence each data line carries (exactly-once, per-sender FIFO), the
/// order-sensitive hash of its whole delivery sequence (compared across the
/// room's members at the end), latency, and whether a join probe arrived.
///
/// Lines are parsed as bytes in place: `c<room>_<slot>:<seq> <ns> <padding>`
/// or `c<room>_<slot>:probe <k>`.
struct DeliveryLedger: LineSink {
    /// What a valid data line must look like for this member.
    struct Rules {
        /// The room's number on the wire (`room<N>`, `c<N>_…`): index + offset.
        let roomNumber: UInt64
        /// This member's slot in its room, to recognise its own echoes.
        let ownSlot: UInt64
        let sendersPerRoom: UInt64
        /// The exact payload size sent (the `-size` flag).
        let size: Int
    }

    static let fnvOffset: UInt64 = 14_695_981_039_346_656_037
    static let fnvPrime: UInt64 = 1_099_511_628_211

    let rules: Rules
    /// The run's single histogram (the loop is single-threaded).
    let histogram: UnsafeMutablePointer<LatencyHistogram>
    /// Arrival time of the bytes being parsed, set once per read.
    var now: UInt64 = 0

    private(set) var sequences: [SenderSequence] = []
    private(set) var orderHash = fnvOffset
    private(set) var sawProbe = false
    /// Data lines received, duplicates included.
    private(set) var delivered = 0
    private(set) var duplicates = 0
    private(set) var outOfOrder = 0
    /// Well-formed lines from another room or from a non-sender slot.
    private(set) var foreign = 0
    private(set) var malformed = 0
    private(set) var emptyLines = 0
    private(set) var lastMalformed: String?
    /// Own messages echoed back since the last `takeOwnEchoes`.
    private var ownEchoes = 0

    init(rules: Rules, histogram: UnsafeMutablePointer<LatencyHistogram>) {
        self.rules = rules
        self.histogram = histogram
    }

    /// Distinct data messages received, over all senders.
    var distinct: Int { sequences.reduce(0) { $0 + $1.distinct } }

    /// Returns and clears the count of own echoes (the throughput window's acks).
    mutating func takeOwnEchoes() -> Int {
        defer { ownEchoes = 0 }
        return ownEchoes
    }

    /// Deliveries are JSON message objects, not `name:text` lines.
    var readsJSON = false
    /// `name:text` rebuilt from a message object (reused).
    private var composed: [UInt8] = []

    @inline(__always)
    mutating func line(_ raw: UnsafeRawBufferPointer) {
        guard readsJSON else { return textLine(raw) }
        jsonLine(raw)
    }

    /// A JSON object: message objects are checked like `name:text` lines;
    /// the welcome (and any other type) is not a delivery.
    private mutating func jsonLine(_ raw: UnsafeRawBufferPointer) {
        guard raw.starts(with: Self.messagePrefix.utf8) else {
            if !raw.starts(with: #"{"type":""#.utf8) { reject(raw) }
            return
        }
        // The server writes the keys in a fixed order and the benchmark's
        // names and payloads need no escapes: find the two strings directly.
        guard let name = Self.stringValue(after: #","name":""#, in: raw),
            let text = Self.stringValue(after: #","text":""#, in: raw)
        else { return reject(raw) }
        composed.removeAll(keepingCapacity: true)
        composed.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[name]))
        composed.append(UInt8(ascii: ":"))
        composed.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[text]))
        // A second reference for the call, so `textLine` may mutate self;
        // it is gone before `composed` is written again, so nothing is copied.
        let rebuilt = composed
        rebuilt.withUnsafeBytes { textLine($0) }
    }

    private static let messagePrefix = #"{"type":"message","#

    /// The byte range of the string after `key` (up to its closing quote);
    /// nil if absent or escaped.
    private static func stringValue(after key: StaticString, in raw: UnsafeRawBufferPointer) -> Range<Int>? {
        let keyBytes = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        guard let base = raw.baseAddress, let found = Self.find(keyBytes, in: raw) else { return nil }
        let start = found + keyBytes.count
        guard let quote = memchr(base + start, Int32(UInt8(ascii: "\"")), raw.count - start) else { return nil }
        let end = base.distance(to: UnsafeRawPointer(quote))
        if memchr(base + start, Int32(UInt8(ascii: "\\")), end - start) != nil { return nil }
        return start..<end
    }

    /// Index of the first occurrence of `key` in `raw`.
    private static func find(_ key: UnsafeRawBufferPointer, in raw: UnsafeRawBufferPointer) -> Int? {
        guard let base = raw.baseAddress, let first = key.first, raw.count >= key.count else { return nil }
        var index = 0
        while index <= raw.count - key.count {
            guard let hit = memchr(base + index, Int32(first), raw.count - key.count + 1 - index) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, key.baseAddress!, key.count) == 0 { return at }
            index = at + 1
        }
        return nil
    }

    @inline(__always)
    private mutating func textLine(_ raw: UnsafeRawBufferPointer) {
        var end = raw.count
        if end > 0 && raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if end == 0 {
            emptyLines += 1
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<end])
        guard bytes[0] == UInt8(ascii: "c") else { return reject(bytes) }
        var index = 1
        guard let room = Self.number(bytes, &index), index < end, bytes[index] == UInt8(ascii: "_") else {
            return reject(bytes)
        }
        index += 1
        guard let slot = Self.number(bytes, &index), index < end, bytes[index] == UInt8(ascii: ":") else {
            return reject(bytes)
        }
        index += 1
        let textStart = index
        if index < end && bytes[index] == UInt8(ascii: "p") {
            return probe(bytes, textStart: textStart, room: room)
        }
        guard let sequence = Self.number(bytes, &index), index < end, bytes[index] == UInt8(ascii: " ") else {
            return reject(bytes)
        }
        index += 1
        guard let stamp = Self.number(bytes, &index), index < end, bytes[index] == UInt8(ascii: " ") else {
            return reject(bytes)
        }
        // A truncated or merged line fails the length check and counts as
        // malformed (and lost), not as a latency outlier.
        let textLength = end - textStart
        let headLength = index + 1 - textStart
        guard textLength == rules.size || (rules.size <= headLength && textLength == headLength),
            sequence < 1 << 40
        else { return reject(bytes) }
        guard room == rules.roomNumber, slot < rules.sendersPerRoom else {
            foreign += 1
            return
        }
        record(slot: Int(slot), sequence: Int(sequence), stamp: stamp)
    }

    @inline(__always)
    private mutating func record(slot: Int, sequence: Int, stamp: UInt64) {
        if sequences.isEmpty {
            sequences = [SenderSequence](repeating: SenderSequence(), count: Int(rules.sendersPerRoom))
        }
        delivered += 1
        histogram.pointee.record(now > stamp ? now - stamp : 0)
        switch sequences[slot].see(sequence) {
        case .inOrder: break
        case .duplicate: duplicates += 1
        case .outOfOrder: outOfOrder += 1
        }
        orderHash = (orderHash ^ (UInt64(slot) << 40 | UInt64(sequence))) &* Self.fnvPrime
        if slot == rules.ownSlot { ownEchoes += 1 }
    }

    private mutating func probe(_ bytes: UnsafeRawBufferPointer, textStart: Int, room: UInt64) {
        let prefix = "probe ".utf8
        guard bytes.count - textStart >= prefix.count,
            zip(bytes[textStart...], prefix).allSatisfy({ $0 == $1 })
        else { return reject(bytes) }
        if room == rules.roomNumber {
            sawProbe = true
        } else {
            foreign += 1
        }
    }

    private mutating func reject(_ bytes: UnsafeRawBufferPointer) {
        malformed += 1
        if lastMalformed == nil {
            lastMalformed = String(decoding: bytes.prefix(80), as: UTF8.self)
        }
    }

    /// Parses decimal digits at `index`, moving it past them; nil if none or too long.
    @inline(__always)
    private static func number(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UInt64? {
        let start = index
        var value: UInt64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            if digit > 9 { break }
            value = value &* 10 &+ UInt64(digit)
            index += 1
        }
        let length = index - start
        return length > 0 && length <= 19 ? value : nil
    }
}
