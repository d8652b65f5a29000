import Testing

@testable import Auth

@Suite struct JWTVerifierTests {
    typealias Fixtures = JWTFixtures

    @Test func aPyJWTTokenSignedWithTheFirstSecretVerifies() throws {
        let claims = try Fixtures.verify("first").get()
        #expect(
            claims
                == VerifiedClaims(
                    subject: "Mina", rooms: ["dev", "ops-*"], expiresAt: Fixtures.now + 600, notBefore: Fixtures.now - 10,
                    issuedAt: Fixtures.now))
    }

    @Test func aPyJWTTokenSignedWithTheRotatedSecretVerifies() throws {
        let claims = try Fixtures.verify("rotated").get()
        #expect(claims == VerifiedClaims(subject: "Bo", rooms: nil, expiresAt: Fixtures.now + 600))
        // The verifier with only the new secret refuses what only the old one signed.
        let onlyFirst = JWTVerifier(secrets: [utf8(Fixtures.first)])
        #expect(
            onlyFirst.verify(token: try Fixtures.token("rotated"), now: Fixtures.now) == .failure(.invalid(.signatureMismatch)))
    }

    @Test func aTokenSignedWithAnotherSecretIsRefused() throws {
        #expect(try Fixtures.verify("unknownSecret") == .failure(.invalid(.signatureMismatch)))
    }

    @Test func unicodeSubjectsExtraClaimsAndAKeyIDAreAccepted() throws {
        let claims = try Fixtures.verify("unicode").get()
        #expect(claims.subject == "Mïna 🐝 \"q\" \\")
        #expect(claims.rooms == nil)
    }

    @Test func nonIntegerNumericDatesAreFloored() throws {
        let claims = try Fixtures.verify("fractional").get()
        #expect(claims.expiresAt == Fixtures.now + 600)
        #expect(claims.notBefore == Fixtures.now - 1)
        #expect(claims.issuedAt == Fixtures.now)
    }

    @Test(arguments: [
        ("none", #""none""#), ("hs384", #""HS384""#), ("hs512", #""HS512""#), ("rs256Lie", #""RS256""#),
        ("lowercaseAlg", #""hs256""#), ("numberAlg", "a number"),
    ])
    func everyAlgorithmButHS256IsRefused(fixture: String, alg: String) throws {
        let result = try Fixtures.verify(fixture)
        #expect(result == .failure(.invalid(.algorithmRefused(alg))))
        #expect(result.failureMessage == "invalid token")
    }

    @Test func headerRulesAreEnforced() throws {
        #expect(try Fixtures.verify("noAlg") == .failure(.invalid(.missingAlgorithm)))
        #expect(try Fixtures.verify("crit") == .failure(.invalid(.criticalHeader)))
        #expect(try Fixtures.verify("typJOSE") == .failure(.invalid(.typeRefused(#""JOSE""#))))
        for accepted in ["typLowercase", "typMediaType", "noTyp"] {
            #expect(try Fixtures.verify(accepted).get().subject == "Mina", "\(accepted)")
        }
    }

    @Test func aTamperedPayloadIsRefused() throws {
        let parts = try Fixtures.token("first").split(separator: ".").map(String.init)
        let forged = Base64URL.encode(utf8(#"{"sub":"Admin","exp":\#(Fixtures.now + 600)}"#))
        let token = [parts[0], forged, parts[2]].joined(separator: ".")
        #expect(Fixtures.verifier.verify(token: token, now: Fixtures.now) == .failure(.invalid(.signatureMismatch)))
    }

    @Test func aTamperedSignatureIsRefused() throws {
        let token = try Fixtures.token("first")
        var parts = token.split(separator: ".").map(String.init)
        // Every first character of the signature but the right one.
        let right = parts[2].first!
        for replacement in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" where replacement != right {
            parts[2] = String(replacement) + parts[2].dropFirst()
            let forged = parts.joined(separator: ".")
            #expect(Fixtures.verifier.verify(token: forged, now: Fixtures.now) == .failure(.invalid(.signatureMismatch)))
        }
        let truncated = String(token.dropLast(3))
        #expect(Fixtures.verifier.verify(token: truncated, now: Fixtures.now) == .failure(.invalid(.signatureLength(30))))
    }

    @Test func expiryAllowsThirtySecondsOfSkewAndNoMore() throws {
        #expect(try Fixtures.verify("expiredWithinSkew").get().expiresAt == Fixtures.now - 29)
        let expired = AuthError.expired(subject: "Mina", expiresAt: Fixtures.now - 30, now: Fixtures.now)
        #expect(try Fixtures.verify("expiredAtSkew") == .failure(expired))
        #expect(try Fixtures.verify("expiredBeyondSkew").failureMessage == "token expired")
    }

    @Test func notBeforeAllowsThirtySecondsOfSkewAndNoMore() throws {
        #expect(try Fixtures.verify("nbfAtSkew").get().notBefore == Fixtures.now + 30)
        let early = AuthError.notYetValid(subject: "Mina", notBefore: Fixtures.now + 31, now: Fixtures.now)
        #expect(try Fixtures.verify("nbfBeyondSkew") == .failure(early))
    }

    @Test func requiredClaimsAndClaimTypesAreEnforced() throws {
        #expect(try Fixtures.verify("missingExp") == .failure(.invalid(.missingClaim("exp"))))
        #expect(try Fixtures.verify("missingSub") == .failure(.invalid(.missingClaim("sub"))))
        #expect(try Fixtures.verify("emptySub") == .failure(.invalid(.emptySubject)))
        #expect(
            try Fixtures.verify("numberSub")
                == .failure(.invalid(.claimType(name: "sub", expected: "a string", found: "a number"))))
        #expect(
            try Fixtures.verify("stringExp")
                == .failure(.invalid(.claimType(name: "exp", expected: "a number", found: "a string"))))
        #expect(
            try Fixtures.verify("stringNbf")
                == .failure(.invalid(.claimType(name: "nbf", expected: "a number", found: "a string"))))
        #expect(try Fixtures.verify("hugeExp") == .failure(.invalid(.claimOutOfRange("exp"))))
        let arrayOfStrings = "an array of strings"
        #expect(
            try Fixtures.verify("roomsString")
                == .failure(.invalid(.claimType(name: "rooms", expected: arrayOfStrings, found: "a string"))))
        #expect(
            try Fixtures.verify("roomsNumbers")
                == .failure(.invalid(.claimType(name: "rooms", expected: arrayOfStrings, found: "an array holding a number"))))
        #expect(try Fixtures.verify("emptyRooms").get().rooms == [])
    }

    @Test func duplicateClaimNamesAreRefused() throws {
        guard case .failure(.invalid(.badJSON(.payload, let detail))) = try Fixtures.verify("duplicateSub") else {
            Issue.record("duplicate sub was not refused as bad JSON")
            return
        }
        #expect(detail.hasPrefix(#"duplicate name "sub""#))
        guard case .failure(.invalid(.badJSON(.payload, _))) = try Fixtures.verify("payloadArray") else {
            Issue.record("an array payload was not refused as bad JSON")
            return
        }
    }

    @Test func malformedStructureIsRefused() throws {
        let parts = try Fixtures.token("first").split(separator: ".").map(String.init)
        let verify = { (token: String) in Fixtures.verifier.verify(token: token, now: Fixtures.now) }
        #expect(verify("") == .failure(.invalid(.empty)))
        #expect(verify(parts[0] + "." + parts[1]) == .failure(.invalid(.partCount(2))))
        #expect(verify(parts.joined(separator: ".") + ".") == .failure(.invalid(.partCount(4))))
        #expect(verify((parts + ["a", "b"]).joined(separator: ".")) == .failure(.invalid(.partCount(5))))
        #expect(verify("..") == .failure(.invalid(.badJSON(.header, detail: "expected an object at byte 0"))))
        #expect(
            verify("!!." + parts[1] + "." + parts[2]) == .failure(.invalid(.badEncoding(.header, .invalidCharacter(offset: 0)))))
        #expect(
            verify(Base64URL.encode(utf8("[]")) + "." + parts[1] + "." + parts[2])
                == .failure(.invalid(.badJSON(.header, detail: "expected an object at byte 0"))))
        // The payload is only looked at once the signature is known to be ours.
        #expect(verify(parts[0] + ".!!." + parts[2]) == .failure(.invalid(.signatureMismatch)))
        #expect(
            verify(" " + parts.joined(separator: ".")) == .failure(.invalid(.badEncoding(.header, .invalidCharacter(offset: 0)))))
    }

    @Test func nonCanonicalBase64IsRefused() throws {
        let token = try Fixtures.token("first")
        var parts = token.split(separator: ".").map(String.init)
        // 32 bytes are 43 characters; the last carries 2 unused bits. Setting
        // one leaves the decoded signature unchanged but the spelling not canonical.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = alphabet.firstIndex(of: parts[2].last!)!
        parts[2] = parts[2].dropLast() + String(alphabet[last | 1])
        #expect(
            Fixtures.verifier.verify(token: parts.joined(separator: "."), now: Fixtures.now)
                == .failure(.invalid(.badEncoding(.signature, .nonCanonicalTrailingBits))))
        #expect(
            Fixtures.verifier.verify(token: token + "=", now: Fixtures.now)
                == .failure(.invalid(.badEncoding(.signature, .padding(offset: 43)))))
        let paddedHeader = Base64URL.encode(utf8(#"{"alg":"HS256"}"#)) + "=" + token.drop { $0 != "." }
        #expect(
            Fixtures.verifier.verify(token: paddedHeader, now: Fixtures.now)
                == .failure(.invalid(.badEncoding(.header, .padding(offset: 20)))))
    }

    @Test func tokensAreBoundedInSize() throws {
        let near = try Fixtures.token("nearLimit")
        #expect(near.utf8.count > 8000 && near.utf8.count <= JWTVerifier.maxTokenBytes)
        #expect(Fixtures.verifier.verify(token: near, now: Fixtures.now).isSuccess)
        let over = try Fixtures.token("overLimit")
        #expect(over.utf8.count > JWTVerifier.maxTokenBytes)
        #expect(try Fixtures.verify("overLimit") == .failure(.invalid(.tooLong(bytes: over.utf8.count, max: 8192))))
        let huge = String(repeating: "a", count: 1_000_000)
        #expect(
            Fixtures.verifier.verify(token: huge, now: Fixtures.now) == .failure(.invalid(.tooLong(bytes: 1_000_000, max: 8192))))
    }

    @Test func aVerifierWithoutSecretsRefusesEverything() throws {
        let empty = JWTVerifier(secrets: [])
        #expect(empty.verify(token: try Fixtures.token("first"), now: Fixtures.now) == .failure(.invalid(.signatureMismatch)))
    }
}
