import Foundation

@testable import Auth

/// Secrets and tokens shared by the JWT tests: PyJWT mints every token once
/// (one Python process for the whole suite).
enum JWTFixtures {
    static let now: Int64 = 1_800_000_000
    static let first = "machat-test-secret-number-one-0123456789"
    static let second = "machat-test-secret-number-two-abcdefghij"
    static let other = "someone-elses-secret-which-we-do-not-hold"
    static let verifier = JWTVerifier(secrets: [utf8(first), utf8(second)])

    private static func specs() -> [(String, [String: Any])] {
        let now = Int(JWTFixtures.now)
        func claims(_ extra: [String: Any] = [:]) -> [String: Any] {
            ["sub": "Mina", "exp": now + 600].merging(extra) { $1 }
        }
        func hs256(_ payload: [String: Any], key: String = first, headers: [String: Any]? = nil) -> [String: Any] {
            var spec: [String: Any] = ["payload": payload, "key": key]
            if let headers { spec["headers"] = headers }
            return spec
        }
        func raw(_ header: String, _ payload: String) -> [String: Any] {
            ["raw_header": header, "raw_payload": payload, "key": first]
        }
        let plainPayload = #"{"sub":"Mina","exp":\#(now + 600)}"#
        return [
            ("first", hs256(claims(["rooms": ["dev", "ops-*"], "iat": now, "nbf": now - 10]))),
            ("rotated", hs256(["sub": "Bo", "exp": now + 600], key: second)),
            ("unknownSecret", hs256(claims(), key: other)),
            (
                "unicode",
                hs256(
                    claims(["sub": "Mïna 🐝 \"q\" \\", "aud": ["x"], "ctx": ["a": [1, ["b": NSNull()]]], "jti": "abc"]),
                    headers: ["kid": "k1"])
            ),
            ("fractional", hs256(claims(["exp": Double(now) + 600.75, "nbf": Double(now) - 0.5, "iat": Double(now) + 0.25]))),
            ("none", ["payload": claims(), "key": NSNull(), "alg": "none"]),
            ("hs384", ["payload": claims(), "key": first, "alg": "HS384"]),
            ("hs512", ["payload": claims(), "key": first, "alg": "HS512"]),
            ("rs256Lie", raw(#"{"alg":"RS256","typ":"JWT"}"#, plainPayload)),
            ("lowercaseAlg", raw(#"{"alg":"hs256","typ":"JWT"}"#, plainPayload)),
            ("noAlg", raw(#"{"typ":"JWT"}"#, plainPayload)),
            ("numberAlg", raw(#"{"alg":256}"#, plainPayload)),
            ("crit", raw(#"{"alg":"HS256","crit":["exp"],"exp":1}"#, plainPayload)),
            ("typJOSE", raw(#"{"alg":"HS256","typ":"JOSE"}"#, plainPayload)),
            ("typLowercase", raw(#"{"alg":"HS256","typ":"jwt"}"#, plainPayload)),
            ("typMediaType", raw(#"{"alg":"HS256","typ":"application/JWT"}"#, plainPayload)),
            ("noTyp", raw(#"{"alg":"HS256"}"#, plainPayload)),
            ("duplicateSub", raw(#"{"alg":"HS256"}"#, #"{"sub":"Mina","sub":"Admin","exp":\#(now + 600)}"#)),
            ("payloadArray", raw(#"{"alg":"HS256"}"#, #"["sub","Mina"]"#)),
            ("expiredBeyondSkew", hs256(claims(["exp": now - 31]))),
            ("expiredAtSkew", hs256(claims(["exp": now - 30]))),
            ("expiredWithinSkew", hs256(claims(["exp": now - 29]))),
            ("nbfBeyondSkew", hs256(claims(["nbf": now + 31]))),
            ("nbfAtSkew", hs256(claims(["nbf": now + 30]))),
            ("missingExp", hs256(["sub": "Mina"])),
            ("missingSub", hs256(["exp": now + 600])),
            ("emptySub", hs256(claims(["sub": ""]))),
            ("numberSub", hs256(claims(["sub": 42]))),
            ("stringExp", hs256(claims(["exp": String(now + 600)]))),
            ("hugeExp", hs256(claims(["exp": 1e30]))),
            ("stringNbf", hs256(claims(["nbf": "soon"]))),
            ("roomsString", hs256(claims(["rooms": "dev"]))),
            ("roomsNumbers", hs256(claims(["rooms": ["dev", 7]]))),
            ("emptyRooms", hs256(claims(["rooms": [String]()]))),
            ("nearLimit", hs256(claims(["pad": String(repeating: "x", count: 6000)]))),
            ("overLimit", hs256(claims(["pad": String(repeating: "x", count: 6100)]))),
        ]
    }

    private static let minted: Result<[String: String], any Error> = Result {
        let specs = JWTFixtures.specs()
        let tokens = try PyJWT.mint(specs.map(\.1))
        guard tokens.count == specs.count else { throw Python.Failure(description: "PyJWT minted \(tokens.count) tokens") }
        return Dictionary(uniqueKeysWithValues: zip(specs.map(\.0), tokens))
    }

    /// The PyJWT token called `name`.
    static func token(_ name: String) throws -> String {
        let tokens = try minted.get()
        guard let token = tokens[name] else { throw Python.Failure(description: "no fixture \(name)") }
        return token
    }

    static func verify(_ name: String) throws -> Result<VerifiedClaims, AuthError> {
        verifier.verify(token: try token(name), now: now)
    }
}
