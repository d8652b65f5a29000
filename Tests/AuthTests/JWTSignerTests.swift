import Foundation
import Testing

@testable import Auth

@Suite struct JWTSignerTests {
    private var realNow: Int64 { Int64(Date().timeIntervalSince1970) }

    /// PyJWT checks our signature, `exp` and `nbf` against the real clock and
    /// gives back exactly the claims we signed.
    @Test func tokensWeSignVerifyUnderPyJWT() throws {
        let now = realNow
        let signer = JWTSigner(secret: utf8(JWTFixtures.first))
        let tokens = [
            signer.sign(subject: "Mina", rooms: nil, expiresAt: now + 3600, issuedAt: now),
            signer.sign(
                subject: "Mïna \"🐝\" \\ \u{1}\n", rooms: ["dev", "ops-*", "quote\"d", "é"], expiresAt: now + 60,
                issuedAt: now, notBefore: now - 5),
            signer.sign(subject: "Bo", rooms: [], expiresAt: now + 60, issuedAt: nil),
            // Refused by PyJWT too: expired, and signed with a key it is not given.
            signer.sign(subject: "Old", rooms: nil, expiresAt: now - 3600, issuedAt: now - 7200),
            JWTSigner(secret: utf8(JWTFixtures.other)).sign(subject: "X", rooms: nil, expiresAt: now + 60, issuedAt: now),
        ]
        let results = try PyJWT.decode(tokens, key: JWTFixtures.first)
        try #require(results.count == tokens.count)

        let plain = try results[0].get()
        #expect(plain["sub"] as? String == "Mina")
        #expect((plain["exp"] as? NSNumber)?.int64Value == now + 3600)
        #expect((plain["iat"] as? NSNumber)?.int64Value == now)
        #expect(plain["rooms"] == nil)
        #expect(plain.count == 3)

        let full = try results[1].get()
        #expect(full["sub"] as? String == "Mïna \"🐝\" \\ \u{1}\n")
        #expect(full["rooms"] as? [String] == ["dev", "ops-*", "quote\"d", "é"])
        #expect((full["nbf"] as? NSNumber)?.int64Value == now - 5)
        #expect((full["exp"] as? NSNumber)?.int64Value == now + 60)

        let noRooms = try results[2].get()
        #expect(noRooms["rooms"] as? [String] == [])
        #expect(noRooms["iat"] == nil)

        #expect(throws: PyJWTRefusal(name: "ExpiredSignatureError")) { try results[3].get() }
        #expect(throws: PyJWTRefusal(name: "InvalidSignatureError")) { try results[4].get() }
    }

    @Test func tokensWeSignVerifyUnderOurVerifier() {
        let signer = JWTSigner(secrets: [utf8(JWTFixtures.second), utf8(JWTFixtures.first)])!
        let token = signer.sign(
            subject: "Mïna", rooms: ["a*"], expiresAt: 2_000_000_000, issuedAt: 1_999_990_000, notBefore: 1_999_990_000)
        #expect(
            JWTFixtures.verifier.verify(token: token, now: 1_999_999_000)
                == .success(
                    VerifiedClaims(
                        subject: "Mïna", rooms: ["a*"], expiresAt: 2_000_000_000, notBefore: 1_999_990_000,
                        issuedAt: 1_999_990_000)))
        #expect(JWTSigner(secrets: []) == nil)
    }

    @Test func theHeaderIsHS256JWT() throws {
        let token = JWTSigner(secret: utf8(JWTFixtures.first)).sign(subject: "M", rooms: nil, expiresAt: 1, issuedAt: nil)
        let header = try Base64URL.decode(utf8(String(token.prefix { $0 != "." })))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"HS256","typ":"JWT"}"#)
    }
}
