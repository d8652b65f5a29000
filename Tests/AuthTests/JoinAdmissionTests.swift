import Testing

@testable import Auth

@Suite struct JoinAdmissionTests {
    private let now = JWTFixtures.now
    private let signer = JWTSigner(secret: utf8(JWTFixtures.first))

    private func token(_ subject: String = "Mina", rooms: [String]?) -> String {
        signer.sign(subject: subject, rooms: rooms, expiresAt: now + 600, issuedAt: now)
    }

    private func admit(_ token: String?, name: String?, room: String) -> Result<JWTVerifier.Admission, AuthError> {
        JWTFixtures.verifier.admit(token: token, name: name, room: room, now: now)
    }

    @Test func aJoinWithoutATokenIsAskedForOne() {
        let result = admit(nil, name: "Mina", room: "dev")
        #expect(result.map(\.name) == .failure(.tokenRequired))
        #expect(AuthError.tokenRequired.clientMessage == #"authentication required: send "token" in the join"#)
    }

    @Test func theNameMayBeLeftOutAndIsTakenFromTheToken() {
        #expect(admit(token(rooms: nil), name: nil, room: "dev").map(\.name) == .success("Mina"))
        #expect(admit(token(rooms: nil), name: "Mina", room: "dev").map(\.name) == .success("Mina"))
    }

    @Test func anotherNameThanTheTokensIsRefused() {
        let result = admit(token(rooms: nil), name: "Admin", room: "dev")
        #expect(result.map(\.name) == .failure(.nameMismatch(name: "Admin", subject: "Mina")))
        #expect(
            AuthError.nameMismatch(name: "Admin", subject: "Mina").clientMessage
                == #"token is for another name; send the token's name or leave "name" out"#)
    }

    @Test func roomsAreExactNamesOrPrefixesEndingInAStar() {
        let limited = token(rooms: ["dev", "ops-*", "a*b"])
        for allowed in ["dev", "ops-", "ops-east", "ops-*"] {
            #expect(admit(limited, name: nil, room: allowed).map(\.name) == .success("Mina"), "\(allowed)")
        }
        for refused in ["dev2", "Dev", "ops", "op", "a", "ab", "axb", "a*bc", ""] {
            #expect(
                admit(limited, name: nil, room: refused).map(\.name)
                    == .failure(.roomNotAllowed(room: refused, subject: "Mina")), "\(refused)")
        }
        #expect(admit(limited, name: nil, room: "a*b").map(\.name) == .success("Mina"))
        #expect(admit(token(rooms: ["*"]), name: nil, room: "anything").map(\.name) == .success("Mina"))
        #expect(
            admit(token(rooms: []), name: nil, room: "dev").map(\.name) == .failure(.roomNotAllowed(room: "dev", subject: "Mina"))
        )
        #expect(admit(token(rooms: nil), name: nil, room: "whatever").map(\.name) == .success("Mina"))
    }

    @Test func theRoomIsQuotedInTheRefusalAsInOtherErrors() {
        #expect(AuthError.roomNotAllowed(room: "x", subject: "Mina").clientMessage == #"token not valid for room "x""#)
        #expect(
            AuthError.roomNotAllowed(room: #"a"b\c"#, subject: "Mina").clientMessage == #"token not valid for room "a\"b\\c""#)
    }

    @Test func clientsLearnNothingOfWhyATokenIsInvalidButOperatorsDo() {
        let defects: [TokenDefect] = [
            .signatureMismatch, .algorithmRefused(#""none""#), .badEncoding(.signature, .nonCanonicalTrailingBits),
            .missingClaim("exp"), .tooLong(bytes: 9000, max: 8192),
        ]
        for defect in defects {
            #expect(AuthError.invalid(defect).clientMessage == "invalid token")
        }
        #expect(AuthError.invalid(.signatureMismatch).operatorReason == "signature does not match any configured secret")
        #expect(
            AuthError.invalid(.algorithmRefused(#""none""#)).operatorReason
                == #"algorithm "none" refused; only HS256 is accepted"#)
        #expect(
            AuthError.expired(subject: "Mina", expiresAt: 10, now: 50).operatorReason
                == #"token for "Mina" expired at 10 (now 50)"#)
        #expect(AuthError.expired(subject: "Mina", expiresAt: 10, now: 50).clientMessage == "token expired")
        #expect(AuthError.notYetValid(subject: "Mina", notBefore: 90, now: 50).clientMessage == "token not yet valid")
    }

    @Test func verificationFailuresPassThroughAdmission() {
        let expired = signer.sign(subject: "Mina", rooms: nil, expiresAt: now - 100, issuedAt: now - 700)
        #expect(admit(expired, name: "Mina", room: "dev").map(\.name).failureMessage == "token expired")
        #expect(admit("garbage", name: "Mina", room: "dev").map(\.name).failureMessage == "invalid token")
    }
}
