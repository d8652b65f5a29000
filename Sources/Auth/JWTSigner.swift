/// Mints HS256 join tokens (RFC 7519 claims in JWS compact serialization,
/// RFC 7515 §7.1) that `JWTVerifier` and any other JWT library accept.
public struct JWTSigner: Sendable {
    private let key: HMACSHA256

    /// A signer using `secret`.
    public init(secret: [UInt8]) {
        key = HMACSHA256(key: secret)
    }

    /// A signer using the first of `secrets` (the one new tokens are signed
    /// with, as a secret file lists them); nil if there are none.
    public init?(secrets: [[UInt8]]) {
        guard let first = secrets.first else { return nil }
        self.init(secret: first)
    }

    /// The compact token for `subject`, limited to `rooms` (exact names or
    /// prefixes ending in `*`; nil: every room), valid until `expiresAt`
    /// and, if given, not before `notBefore` (seconds since the epoch).
    public func sign(
        subject: String, rooms: [String]?, expiresAt: Int64, issuedAt: Int64?, notBefore: Int64? = nil
    ) -> String {
        // RFC 7519 §5.1 recommends "JWT" for typ; RFC 7518 §3.2 names HS256.
        var token = Base64URL.encodedBytes(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        token.append(UInt8(ascii: "."))
        token += Base64URL.encodedBytes(Self.claimsJSON(subject, rooms, expiresAt, issuedAt, notBefore))
        var mac = key
        mac.update(token)
        let signature = mac.finalize()
        token.append(UInt8(ascii: "."))
        token += Base64URL.encodedBytes(signature)
        return String(decoding: token, as: UTF8.self)
    }

    private static func claimsJSON(
        _ subject: String, _ rooms: [String]?, _ expiresAt: Int64, _ issuedAt: Int64?, _ notBefore: Int64?
    ) -> [UInt8] {
        var json: [UInt8] = Array(#"{"sub":"#.utf8)
        JSONText.append(subject, to: &json)
        if let rooms {
            json += Array(#","rooms":["#.utf8)
            for (index, room) in rooms.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                JSONText.append(room, to: &json)
            }
            json.append(UInt8(ascii: "]"))
        }
        if let issuedAt { json += Array(#","iat":\#(issuedAt)"#.utf8) }
        if let notBefore { json += Array(#","nbf":\#(notBefore)"#.utf8) }
        json += Array(#","exp":\#(expiresAt)}"#.utf8)
        return json
    }
}
