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

    @inline(__always)
    mutating func line(_ raw: UnsafeRawBufferPointer) {
        guard readsJSON else { return textLine(raw) }
        jsonLine(raw)
    }

    /// A JSON object: message objects are checked like `name:text` lines,
    /// reading name and text where they are in the object (no copy); the
    /// welcome (and any other type) is not a delivery.
    private mutating func jsonLine(_ raw: UnsafeRawBufferPointer) {
        guard let (name, text) = Self.nameAndText(raw) else {
            if !Self.hasPrefix(raw, #"{"type":""#) || Self.hasPrefix(raw, Self.messagePrefix) { reject(raw) }
            return
        }
        var index = name.lowerBound
        guard let (room, slot) = Self.sender(raw, &index), index == name.upperBound else { return reject(raw) }
        message(raw, room: room, slot: slot, textStart: text.lowerBound, end: text.upperBound)
    }

    private static let messagePrefix: StaticString = #"{"type":"message","room":""#

    @inline(__always)
    private static func hasPrefix(_ raw: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        raw.count >= prefix.utf8CodeUnitCount && memcmp(raw.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }

    /// The name and text ranges of a message object, read in the server's
    /// fixed key order (type, room, offset, time, name, text) in one pass;
    /// the benchmark's names and payloads need no escapes, so any backslash
    /// makes the line malformed here. Nil for anything else.
    private static func nameAndText(_ raw: UnsafeRawBufferPointer) -> (Range<Int>, Range<Int>)? {
        guard hasPrefix(raw, messagePrefix), let base = raw.baseAddress else { return nil }
        var index = messagePrefix.utf8CodeUnitCount
        func skip(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard raw.count - index >= count, memcmp(base + index, literal.utf8Start, count) == 0 else { return false }
            index += count
            return true
        }
        func skipDigits() {
            while index < raw.count, raw[index] >= 0x30, raw[index] <= 0x39 { index += 1 }
        }
        func string() -> Range<Int>? {
            let start = index
            while index < raw.count, raw[index] != UInt8(ascii: "\""), raw[index] != UInt8(ascii: "\\") { index += 1 }
            guard index < raw.count, raw[index] == UInt8(ascii: "\"") else { return nil }
            defer { index += 1 }
            return start..<index
        }
        guard string() != nil, skip(#","offset":"#) else { return nil }
        skipDigits()
        guard skip(#","time":"#) else { return nil }
        skipDigits()
        guard skip(#","name":""#), let name = string(), skip(#","text":""#) else { return nil }
        // The text runs to the closing `"}` at the end of the line.
        let end = raw.count - 2
        guard end >= index, raw[end] == UInt8(ascii: "\""), raw[end + 1] == UInt8(ascii: "}"),
            memchr(base + index, Int32(UInt8(ascii: "\\")), end - index) == nil
        else { return nil }
        return (name, index..<end)
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
        var index = 0
        guard let (room, slot) = Self.sender(bytes, &index), index < end, bytes[index] == UInt8(ascii: ":") else {
            return reject(bytes)
        }
        message(bytes, room: room, slot: slot, textStart: index + 1, end: end)
    }

    /// `c<room>_<slot>` at `index`, moving it past; nil if it is not one.
    @inline(__always)
    private static func sender(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> (room: UInt64, slot: UInt64)? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "c") else { return nil }
        index += 1
        guard let room = number(bytes, &index), index < bytes.count, bytes[index] == UInt8(ascii: "_") else { return nil }
        index += 1
        guard let slot = number(bytes, &index) else { return nil }
        return (room, slot)
    }

    /// The text `bytes[textStart..<end]` of a line from sender `slot` of `room`:
    /// a probe, or `<sequence> <stamp> <padding>` of the configured size.
    @inline(__always)
    private mutating func message(_ bytes: UnsafeRawBufferPointer, room: UInt64, slot: UInt64, textStart: Int, end: Int) {
        var index = textStart
        if index < end && bytes[index] == UInt8(ascii: "p") {
            return probe(bytes, textStart: textStart, end: end, room: room)
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

    private mutating func probe(_ bytes: UnsafeRawBufferPointer, textStart: Int, end: Int, room: UInt64) {
        let prefix = "probe ".utf8
        guard end - textStart >= prefix.count,
            zip(bytes[textStart..<end], prefix).allSatisfy({ $0 == $1 })
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
