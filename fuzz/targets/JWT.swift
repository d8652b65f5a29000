@testable import Auth

/// libFuzzer entry: HS256 join tokens (`JWTVerifier.verify` and `admit`),
/// `Base64URL` and the strict `JSONReader` they rest on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    JWTFuzzer.run(Array(UnsafeRawBufferPointer(start: data, count: size)))
    return 0
}

/// Each input is used four ways:
/// - as a token: `verify` and `admit` do not trap, give the same answer twice,
///   and describe every refusal; a token they accept holds valid claims;
/// - as a signed token: the input is JSON claims (or `header NUL claims`),
///   base64url-encoded and signed with the harness's secret, so that the
///   header and claims checks behind the signature are reached; what verifies
///   is signed again by `JWTSigner` from the claims alone and verifies to the
///   same claims;
/// - as base64url: text that decodes is the one canonical spelling of its
///   bytes, and any bytes encode to text that decodes to them;
/// - as JSON: an object `JSONReader` accepts, written back with `JSONText`,
///   reads to the same value, and a number it accepts floors as
///   `Double(literal)` does wherever the double is far enough from an integer
///   to settle the floor.
enum JWTFuzzer {
    static let secret = Array("machat-fuzz-secret".utf8)
    static let verifier = JWTVerifier(secrets: [Array("an older secret".utf8), secret])
    /// 2023-11-14T22:13:20Z: the harness's fixed clock.
    static let now: Int64 = 1_700_000_000
    static let header = Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)

    static func run(_ bytes: [UInt8]) {
        checkToken(String(decoding: bytes, as: UTF8.self))
        checkSigned(bytes)
        checkBase64URL(bytes)
        checkJSON(bytes)
    }

    static func checkToken(_ token: String) {
        let first = verifier.verify(token: token, now: now)
        invariant(first == verifier.verify(token: token, now: now), "verify is not deterministic")
        switch first {
        case .success(let claims):
            checkClaims(claims)
        case .failure(let error):
            _ = error.clientMessage
            _ = error.operatorReason
        }
        for (name, room) in [(nil, "dev"), ("Mina", "dev"), (nil, "")] as [(String?, String)] {
            if case .failure(let error) = verifier.admit(token: token, name: name, room: room, now: now) {
                _ = error.clientMessage
            }
        }
    }

    static func checkSigned(_ bytes: [UInt8]) {
        let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let (headerJSON, claimsJSON) = parts.count == 2 ? (Array(parts[0]), Array(parts[1])) : (header, bytes)
        var token = Base64URL.encodedBytes(headerJSON) + [UInt8(ascii: ".")] + Base64URL.encodedBytes(claimsJSON)
        token += [UInt8(ascii: ".")] + Base64URL.encodedBytes(HMACSHA256.authenticationCode(for: token, key: secret))
        let text = String(decoding: token, as: UTF8.self)
        let result = verifier.verify(token: text, now: now)
        if case .failure(.invalid(.signatureMismatch)) = result, token.count <= JWTVerifier.maxTokenBytes {
            fatalError("fuzz invariant violated: a token signed with the secret fails its signature check")
        }
        guard case .success(let claims) = result else {
            if case .failure(let error) = result { _ = error.operatorReason }
            return
        }
        checkClaims(claims)
        // Only the claims the verifier reports, signed by our own signer.
        let again = JWTSigner(secret: secret).sign(
            subject: claims.subject, rooms: claims.rooms, expiresAt: claims.expiresAt, issuedAt: claims.issuedAt,
            notBefore: claims.notBefore)
        let reverified = verifier.verify(token: again, now: now)
        invariant(reverified == .success(claims), "claims \(claims) signed again verify as \(reverified)")
        for room in ["dev", claims.rooms?.first ?? "", "x"] {
            switch verifier.admit(token: text, name: nil, room: room, now: now) {
            case .success(let admission):
                invariant(admission.name == claims.subject && claims.allows(room: room), "admitted to \(room): \(admission)")
            case .failure(let error):
                invariant(!claims.allows(room: room), "refused \(room) which the claims allow: \(error)")
            }
        }
    }

    static func checkClaims(_ claims: VerifiedClaims) {
        invariant(!claims.subject.isEmpty, "an empty subject verified")
        invariant(now &- JWTVerifier.defaultClockSkew < claims.expiresAt, "an expired token verified: \(claims)")
        if let notBefore = claims.notBefore {
            invariant(now &+ JWTVerifier.defaultClockSkew >= notBefore, "a token not yet valid verified: \(claims)")
        }
    }

    static func checkBase64URL(_ bytes: [UInt8]) {
        let encoded = Base64URL.encodedBytes(bytes)
        invariant((try? Base64URL.decode(encoded)) == bytes, "base64url of \(bytes) does not decode to them")
        invariant(Base64URL.encode(bytes).utf8.elementsEqual(encoded), "the two encoders disagree")
        do throws(Base64URL.DecodingError) {
            let decoded = try Base64URL.decode(bytes)
            invariant(Base64URL.encodedBytes(decoded) == bytes, "\(bytes) decoded, but is not the canonical spelling")
        } catch {
            _ = error.description
        }
    }

    static func checkJSON(_ bytes: [UInt8]) {
        let object: JSONObject
        do throws(JSONReader.Failure) {
            object = try JSONReader.readObject(bytes, maxBytes: JWTVerifier.maxTokenBytes)
        } catch {
            _ = error.description
            return
        }
        var written: [UInt8] = []
        write(.object(object), into: &written)
        let again = try? JSONReader.readObject(written, maxBytes: Int.max, maxDepth: JSONReader.defaultMaxDepth)
        invariant(again == object, "\(object) written back reads as \(String(describing: again))")
        forEachNumber(in: .object(object), checkFloor)
    }

    /// JSON text for `value`, independent of how it was read: strings through
    /// `JSONText`, numbers as their literals.
    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (name, member)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.append(name, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let text): JSONText.append(text, to: &out)
        case .number(let number): out += Array(number.literal.utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .null: out += Array("null".utf8)
        }
    }

    static func forEachNumber(in value: JSONValue, _ body: (JSONNumber) -> Void) {
        switch value {
        case .object(let members): for member in members.values { forEachNumber(in: member, body) }
        case .array(let items): for item in items { forEachNumber(in: item, body) }
        case .number(let number): body(number)
        default: break
        }
    }

    /// `flooredInteger` against the standard library: an integer literal
    /// must floor to what `Int64(literal)` parses (nil past Int64's range);
    /// any other literal to the floor of `Double(literal)` where the double
    /// settles it: below 2^52 in magnitude and over 10^-6 from an integer.
    static func checkFloor(_ number: JSONNumber) {
        let literal = number.literal
        let floored = number.flooredInteger
        if literal.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) }) {
            invariant(
                floored == Int64(literal),
                "\(literal) floors to \(String(describing: floored)), not \(String(describing: Int64(literal)))")
            return
        }
        guard let double = Double(literal), double.isFinite, abs(double) < 4_503_599_627_370_496 else { return }
        let floor = double.rounded(.down)
        let fraction = double - floor
        guard fraction > 1e-6 && fraction < 1 - 1e-6 else { return }
        invariant(floored == Int64(floor), "\(literal) floors to \(String(describing: floored)), Double says \(floor)")
    }
}
