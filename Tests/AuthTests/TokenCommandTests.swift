import Foundation
import Testing

@testable import Auth

@Suite struct TokenCommandTests {
    private let now: Int64 = 1_800_000_000
    private let secret = JWTFixtures.first

    private func secretFile(_ directory: TemporaryDirectory, mode: Int = 0o600) throws -> String {
        try directory.file("secrets", "# new\n\(secret)\n# old\n\(JWTFixtures.second)\n", mode: mode)
    }

    @Test func printsATokenForTheNameAndRoomsSignedWithTheFirstSecret() throws {
        let directory = try TemporaryDirectory()
        let path = try secretFile(directory)
        let outcome = TokenCommand.run(
            arguments: ["-secret-file", path, "-name", "Mina", "-rooms", "dev,ops-*", "-ttl", "90m"], now: now)
        #expect(outcome.exitStatus == 0)
        #expect(outcome.standardError == "")
        #expect(outcome.standardOutput.hasSuffix("\n"))
        let token = String(outcome.standardOutput.dropLast())
        let onlyFirst = JWTVerifier(secrets: [utf8(secret)])
        #expect(
            onlyFirst.verify(token: token, now: now)
                == .success(VerifiedClaims(subject: "Mina", rooms: ["dev", "ops-*"], expiresAt: now + 5400, issuedAt: now)))
    }

    @Test func theDefaultLifetimeIsOneHourAndEveryRoomIsAllowed() throws {
        let directory = try TemporaryDirectory()
        let issued = try TokenCommand.issue(arguments: ["-secret-file=\(try secretFile(directory))", "--name=Bo"], now: now).get()
        let claims = try JWTFixtures.verifier.verify(token: issued.token, now: now).get()
        #expect(claims == VerifiedClaims(subject: "Bo", rooms: nil, expiresAt: now + 3600, issuedAt: now))
    }

    /// The printed token, minted at the real time, passes PyJWT's checks.
    @Test func thePrintedTokenVerifiesUnderPyJWT() throws {
        let directory = try TemporaryDirectory()
        let realNow = Int64(Date().timeIntervalSince1970)
        let outcome = TokenCommand.run(
            arguments: ["-secret-file", try secretFile(directory), "-name", "Mïna", "-rooms", "a,b*"], now: realNow)
        let token = String(outcome.standardOutput.dropLast())
        let claims = try #require(try PyJWT.decode([token], key: secret).first).get()
        #expect(claims["sub"] as? String == "Mïna")
        #expect(claims["rooms"] as? [String] == ["a", "b*"])
        #expect((claims["exp"] as? NSNumber)?.int64Value == realNow + 3600)
    }

    @Test(
        arguments: [("45s", 45), ("90m", 5400), ("12h", 43200), ("7d", 604_800), ("30", 30), ("3650d", 315_360_000)]
            as [(String, Int64)])
    func lifetimesTakeSecondsMinutesHoursOrDays(text: String, seconds: Int64) {
        #expect(TokenCommand.duration(text) == seconds)
    }

    @Test(arguments: ["", "0", "0h", "1x", "h", "-5m", "1.5h", "1 h", "3651d", "9999999999999d", "1hh", "٣h"])
    func badLifetimesAreUsageErrors(text: String) throws {
        let directory = try TemporaryDirectory()
        let outcome = TokenCommand.run(
            arguments: ["-secret-file", try secretFile(directory), "-name", "Mina", "-ttl", text], now: now)
        #expect(outcome.exitStatus == 2)
        #expect(outcome.standardOutput == "")
        #expect(outcome.standardError.hasPrefix("machat token: invalid -ttl "), "\(outcome.standardError)")
    }

    @Test func usageErrorsSayWhatIsWrong() throws {
        let directory = try TemporaryDirectory()
        let path = try secretFile(directory)
        let cases: [([String], String)] = [
            (["-name", "Mina"], "-secret-file FILE is required"),
            (["-secret-file", path], "-name NAME is required"),
            (["-secret-file", path, "-name", ""], "-name NAME is required"),
            (["-secret-file", path, "-name", "a:b"], "-name must not contain ':'"),
            (["-secret-file", path, "-name", "a\nb"], "-name must not contain control characters"),
            (
                ["-secret-file", path, "-name", "Mina", "-rooms", "a,,b"],
                "-rooms must be a comma-separated list of room names, none empty"
            ),
            (["-secret-file", path, "-name", "Mina", "-room", "a"], "unknown flag -room"),
            (["-secret-file", path, "-name", "Mina", "-name", "Bo"], "-name given twice"),
            (["-secret-file", path, "-name"], "-name needs a value"),
            (["-secret-file", path, "-name", "Mina", "extra"], #"unexpected argument "extra""#),
        ]
        for (arguments, problem) in cases {
            let outcome = TokenCommand.run(arguments: arguments, now: now)
            #expect(outcome.exitStatus == 2, "\(arguments)")
            #expect(outcome.standardOutput == "")
            #expect(outcome.standardError == "machat token: \(problem) (see machat token -h)\n", "\(arguments)")
        }
    }

    @Test func helpPrintsTheUsage() {
        for flag in ["-h", "--help", "-help"] {
            let outcome = TokenCommand.run(arguments: [flag], now: now)
            #expect(outcome == TokenCommand.Outcome(standardOutput: TokenCommand.usage, standardError: "", exitStatus: 0))
        }
        #expect(TokenCommand.usage.hasPrefix("usage: machat token -secret-file FILE -name NAME"))
    }

    @Test func secretFileProblemsExitOneWithTheReason() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.appendingPathComponent("none").path
        let outcome = TokenCommand.run(arguments: ["-secret-file", missing, "-name", "Mina"], now: now)
        #expect(outcome.exitStatus == 1)
        #expect(
            outcome.standardError == "machat token: cannot open secret file \(missing): No such file or directory (errno 2)\n")
        let short = try directory.file("short", "tooshort\n")
        #expect(TokenCommand.run(arguments: ["-secret-file", short, "-name", "Mina"], now: now).exitStatus == 1)
    }

    @Test func aSecretFileOthersCanReadStillWorksButWarns() throws {
        let directory = try TemporaryDirectory()
        let path = try secretFile(directory, mode: 0o644)
        let outcome = TokenCommand.run(arguments: ["-secret-file", path, "-name", "Mina"], now: now)
        #expect(outcome.exitStatus == 0)
        #expect(!outcome.standardOutput.isEmpty)
        #expect(
            outcome.standardError
                == "machat token: warning: secret file \(path) is readable by group or others (mode 0644); chmod 600 it\n")
    }
}
