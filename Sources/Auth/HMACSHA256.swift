/// HMAC-SHA256 (RFC 2104 with SHA-256, as RFC 4231 tests it), streaming or one-shot.
///
/// A keyed value holds the hash states after the padded key blocks, so one
/// key can authenticate many messages without rehashing the key: copy it,
/// `update`, `finalize`.
public struct HMACSHA256: Sendable {
    /// The size of a MAC in bytes.
    public static let byteCount = SHA256.digestByteCount

    private var inner: SHA256
    private var outer: SHA256

    /// A MAC keyed with `key`, which may have any length.
    public init(key: some Collection<UInt8>) {
        // RFC 2104 §2: a key longer than the block is hashed first; the
        // (possibly hashed) key is then padded with zeros to the block size.
        var block = SIMD64<UInt8>()
        if key.count > SHA256.blockByteCount {
            for (index, byte) in SHA256.hash(key).enumerated() {
                block[index] = byte
            }
        } else {
            for (index, byte) in key.enumerated() {
                block[index] = byte
            }
        }
        inner = SHA256()
        outer = SHA256()
        withUnsafeBytes(of: block ^ SIMD64(repeating: 0x36)) { inner.update($0) }
        withUnsafeBytes(of: block ^ SIMD64(repeating: 0x5c)) { outer.update($0) }
    }

    /// Returns the 32-byte MAC of `message` under `key`.
    public static func authenticationCode(for message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// Absorbs message bytes.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        inner.update(bytes)
    }

    /// Absorbs the message bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        inner.update(buffer)
    }

    /// Returns the 32-byte MAC of everything absorbed.
    public consuming func finalize() -> [UInt8] {
        // RFC 2104 §2: H(K ^ opad, H(K ^ ipad, text)).
        outer.update(words: inner.finalizeWords())
        return outer.finalize()
    }

    /// Whether two MACs are equal, in time that depends only on their lengths,
    /// so a forger learns nothing from how long a refusal took.
    public static func constantTimeEquals(_ left: some Collection<UInt8>, _ right: some Collection<UInt8>) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) {
            difference |= a ^ b
        }
        return difference == 0
    }
}
