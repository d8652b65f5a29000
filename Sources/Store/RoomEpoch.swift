/// A new epoch for a room log: 64 random bits as 16 lowercase hex digits,
/// the router's format. Random rather than counted, so an epoch never repeats.
enum RoomEpoch {
    static func make() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { bytes[i] = digits[Int((value >> UInt64(60 - 4 * i)) & 0xF)] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
