/// Checks HS256 join tokens: JWTs (RFC 7519) in JWS compact serialization
/// (RFC 7515 §7.1) signed with HMAC-SHA256 (RFC 7518 §3.2) under any of the
/// configured secrets, so a secret can be rotated without refusing tokens
/// signed with the previous one.
///
/// Only `HS256` is accepted: `none` and every other algorithm are refused
/// whatever the header says (RFC 8725 §3.1, the algorithm is ours to pick).
public struct JWTVerifier: Sendable {
    /// The longest token accepted, in bytes; a join carrying more is refused before any decoding.
    public static let maxTokenBytes = 8192
    /// Clock skew allowed on `exp` and `nbf` by default (RFC 7519 §4.1.4 allows "some small leeway").
    public static let defaultClockSkew: Int64 = 30

    /// The secrets, keyed once so a check costs two hash blocks per secret.
    private let keys: [HMACSHA256]
    private let clockSkew: Int64

    /// A verifier accepting tokens signed with any of `secrets`. With no
    /// secrets every token is refused (fail closed); `SecretFile` never
    /// yields an empty list.
    public init(secrets: [[UInt8]], clockSkew: Int64 = defaultClockSkew) {
        keys = secrets.map { HMACSHA256(key: $0) }
        self.clockSkew = max(0, clockSkew)
    }

    /// Whom a join is admitted as, and what their token said.
    public struct Admission: Equatable, Sendable {
        /// The name to join under: the token's subject.
        public var name: String
        public var claims: VerifiedClaims
    }

    /// Decides a join when tokens are required: `token` must verify, `name`
    /// must be the token's subject or absent (then the subject is the name),
    /// and the token must allow `room`. `now` is seconds since the epoch.
    public func admit(token: String?, name: String?, room: String, now: Int64) -> Result<Admission, AuthError> {
        guard let token else { return .failure(.tokenRequired) }
        let claims: VerifiedClaims
        switch verify(token: token, now: now) {
        case .success(let verified): claims = verified
        case .failure(let error): return .failure(error)
        }
        if let name, name != claims.subject {
            return .failure(.nameMismatch(name: name, subject: claims.subject))
        }
        guard claims.allows(room: room) else {
            return .failure(.roomNotAllowed(room: room, subject: claims.subject))
        }
        return .success(Admission(name: claims.subject, claims: claims))
    }

    /// Verifies `token` at `now` (seconds since the epoch): structure, header,
    /// signature, then claims and times, in that order, so nothing of the
    /// payload is parsed before the signature is known to be ours.
    public func verify(token: String, now: Int64) -> Result<VerifiedClaims, AuthError> {
        // Measured before anything is copied or decoded.
        let length = token.utf8.count
        guard length > 0 else { return .failure(.invalid(.empty)) }
        guard length <= Self.maxTokenBytes else { return .failure(.invalid(.tooLong(bytes: length, max: Self.maxTokenBytes))) }
        let bytes = Array(token.utf8)
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { return .failure(.invalid(.partCount(dots.count + 1))) }
        do {
            let header = try Self.readObject(bytes[..<dots[0]], part: .header)
            try Self.checkHeader(header)
            try checkSignature(bytes, signingInputEnd: dots[1])
            let claims = try Self.readClaims(Self.readObject(bytes[(dots[0] + 1)..<dots[1]], part: .payload))
            return checkTimes(claims, now: now)
        } catch {
            return .failure(.invalid(error))
        }
    }

    private static func readObject(
        _ segment: ArraySlice<UInt8>, part: TokenDefect.Part
    ) throws(TokenDefect) -> JSONObject {
        let json: [UInt8]
        do {
            json = try Base64URL.decode(segment)
        } catch {
            throw .badEncoding(part, error)
        }
        do {
            return try JSONReader.readObject(json, maxBytes: maxTokenBytes)
        } catch {
            throw .badJSON(part, detail: error.description)
        }
    }

    /// RFC 7515 §4.1 and RFC 7519 §5: `alg` must be exactly `HS256`, `typ` if
    /// present `JWT`, and no `crit`. Other header parameters (`kid`, …) are ignored.
    private static func checkHeader(_ header: JSONObject) throws(TokenDefect) {
        guard let alg = header["alg"] else { throw .missingAlgorithm }
        // RFC 7515 §4.1.1: the value is case-sensitive.
        guard alg == .string("HS256") else { throw .algorithmRefused(alg.string.map(JSONText.quoted) ?? alg.kind) }
        if let typ = header["typ"] {
            guard let text = typ.string else { throw .typeRefused(typ.kind) }
            // RFC 7515 §4.1.9: a media type, compared case-insensitively, and
            // "application/" may be left out.
            let lowered = Self.asciiLowercased(text)
            guard lowered == "jwt" || lowered == "application/jwt" else { throw .typeRefused(JSONText.quoted(text)) }
        }
        if header["crit"] != nil { throw .criticalHeader }
    }

    private func checkSignature(_ bytes: [UInt8], signingInputEnd: Int) throws(TokenDefect) {
        let signature: [UInt8]
        do {
            signature = try Base64URL.decode(bytes[(signingInputEnd + 1)...])
        } catch {
            throw .badEncoding(.signature, error)
        }
        guard signature.count == HMACSHA256.byteCount else { throw .signatureLength(signature.count) }
        // RFC 7515 §5.2 step 8, over the ASCII of "header.payload". Every
        // secret is tried and compared in constant time, so the time taken
        // says neither how much matched nor which secret did.
        var matches: UInt8 = 0
        bytes.withUnsafeBytes { raw in
            let signingInput = UnsafeRawBufferPointer(rebasing: raw[..<signingInputEnd])
            for key in keys {
                var mac = key
                mac.update(signingInput)
                matches |= HMACSHA256.constantTimeEquals(mac.finalize(), signature) ? 1 : 0
            }
        }
        guard matches != 0 else { throw .signatureMismatch }
    }

    /// RFC 7519 §4.1: `sub` (required, non-empty), `exp` (required), `nbf` and
    /// `iat` (optional NumericDates), and MaChat's `rooms` (optional array of strings).
    private static func readClaims(_ claims: JSONObject) throws(TokenDefect) -> VerifiedClaims {
        guard let sub = claims["sub"] else { throw .missingClaim("sub") }
        guard let subject = sub.string else { throw .claimType(name: "sub", expected: "a string", found: sub.kind) }
        guard !subject.isEmpty else { throw .emptySubject }
        guard let expiresAt = try numericDate(claims, "exp") else { throw .missingClaim("exp") }
        var rooms: [String]?
        if let value = claims["rooms"] {
            let arrayOfStrings = "an array of strings"
            guard case .array(let items) = value else {
                throw .claimType(name: "rooms", expected: arrayOfStrings, found: value.kind)
            }
            var names: [String] = []
            for item in items {
                guard let name = item.string else {
                    throw .claimType(name: "rooms", expected: arrayOfStrings, found: "an array holding \(item.kind)")
                }
                names.append(name)
            }
            rooms = names
        }
        return VerifiedClaims(
            subject: subject, rooms: rooms, expiresAt: expiresAt, notBefore: try numericDate(claims, "nbf"),
            issuedAt: try numericDate(claims, "iat"))
    }

    /// A NumericDate claim (RFC 7519 §2: seconds, possibly non-integer), floored; nil if absent.
    private static func numericDate(_ claims: JSONObject, _ name: String) throws(TokenDefect) -> Int64? {
        guard let value = claims[name] else { return nil }
        guard case .number(let number) = value else { throw .claimType(name: name, expected: "a number", found: value.kind) }
        guard let seconds = number.flooredInteger else { throw .claimOutOfRange(name) }
        return seconds
    }

    /// RFC 7519 §4.1.4 and §4.1.5 with `clockSkew` of leeway: valid while
    /// `now < exp + skew` and once `now >= nbf - skew`.
    private func checkTimes(_ claims: VerifiedClaims, now: Int64) -> Result<VerifiedClaims, AuthError> {
        // Shift `now` rather than the claims: `now` is a sane clock reading,
        // claims can be anything up to Int64's limits.
        let (earlier, underflow) = now.subtractingReportingOverflow(clockSkew)
        if !underflow && earlier >= claims.expiresAt {
            return .failure(.expired(subject: claims.subject, expiresAt: claims.expiresAt, now: now))
        }
        if let notBefore = claims.notBefore {
            let (later, overflow) = now.addingReportingOverflow(clockSkew)
            if !overflow && later < notBefore {
                return .failure(.notYetValid(subject: claims.subject, notBefore: notBefore, now: now))
            }
        }
        return .success(claims)
    }

    private static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
