@preconcurrency import Glibc
import Foundation
import Testing

/// Join tokens end to end: tokens minted by Python's PyJWT (an independent
/// implementation) open exactly the rooms they name, for exactly the name
/// they carry, and everything else gets its documented error.
@Suite(.ownThread) struct AuthTokenTests {
    static let secret = "correct-horse-battery-staple-0123456789"
    static let rotated = "older-secret-still-accepted-9876543210xyz"

    /// A secrets file (new secret first, the old one still verifying).
    private static func secretFile() throws -> String {
        let path = "/tmp/machat-e2e-secrets-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try (secret + "\n" + rotated + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    /// `python3 -c …` minting one token per line of `claims` (JSON objects),
    /// with `alg` and `key` per line: PyJWT, not our signer.
    private static func mint(_ specs: [(claims: String, key: String, alg: String)]) throws -> [String] {
        try #require(PyJWT.isAvailable, "python3 with PyJWT is required: pip install PyJWT")
        let script = """
            import json, sys, jwt
            for line in sys.stdin:
                spec = json.loads(line)
                print(jwt.encode(spec["claims"], spec["key"], algorithm=spec["alg"]))
            """
        let python = try PipedProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script])
        for spec in specs {
            python.write(#"{"claims":\#(spec.claims),"key":"\#(spec.key)","alg":"\#(spec.alg)"}"# + "\n")
        }
        python.closeInput()
        let tokens = python.readToEnd(timeout: 20).split(separator: "\n").map(String.init)
        #expect(PipedProcess.exitCode(python.waitForExit(timeout: 10)) == 0)
        return tokens
    }

    private static func join(_ server: MachatProcess, _ fields: String) throws -> LineClient {
        let client = try LineClient(port: server.tcpPort)
        client.send("{\(fields)}\n")
        return client
    }

    @Test func tokensFromPyJWTOpenTheirRoomsAndEverythingElseIsRefusedClearly() throws {
        let path = try Self.secretFile()
        defer { unlink(path) }
        let server = try MachatProcess(["-auth-secret-file", path])
        let now = Int(Date().timeIntervalSince1970)
        let tokens = try Self.mint([
            (#"{"sub":"Mina","exp":\#(now + 600)}"#, Self.secret, "HS256"),
            (#"{"sub":"Bo","exp":\#(now + 600),"rooms":["dev","team-*"]}"#, Self.rotated, "HS256"),
            (#"{"sub":"Old","exp":\#(now - 120)}"#, Self.secret, "HS256"),
            (#"{"sub":"Mina","exp":\#(now + 600)}"#, "not-the-secret-at-all-0123456789abcdef", "HS256"),
            (#"{"sub":"Mina","exp":\#(now + 600)}"#, Self.secret, "HS384"),
            (#"{"sub":"Late","exp":\#(now + 600),"nbf":\#(now + 300)}"#, Self.secret, "HS256"),
            (#"{"sub":"Skew","exp":\#(now - 10)}"#, Self.secret, "HS256"),
        ])
        try #require(tokens.count == 7)

        // The name may be left out: the token names the member.
        let mina = try Self.join(server, #""room":"dev","token":"\#(tokens[0])""#)
        mina.send("hi\n")
        #expect(mina.readLine() == "Mina:hi")
        // A rotated (second) secret still verifies; a prefix pattern opens team-x.
        let bo = try Self.join(server, #""name":"Bo","room":"team-x","token":"\#(tokens[1])""#)
        bo.send("yo\n")
        #expect(bo.readLine() == "Bo:yo")
        // Expired 10 s ago is within the 30 s of clock skew allowed.
        let skew = try Self.join(server, #""room":"dev","token":"\#(tokens[6])""#)
        skew.send("ok\n")
        #expect(skew.readLine() == "Skew:ok")

        let refusals: [(String, String)] = [
            (#""name":"Mina","room":"dev""#, #"error: authentication required: send "token" in the join"#),
            (#""name":"Bo","room":"other","token":"\#(tokens[1])""#, #"error: token not valid for room "other""#),
            (
                #""name":"Eve","room":"dev","token":"\#(tokens[0])""#,
                #"error: token is for another name; send the token's name or leave "name" out"#
            ),
            (#""room":"dev","token":"\#(tokens[2])""#, "error: token expired"),
            (#""room":"dev","token":"\#(tokens[3])""#, "error: invalid token"),
            (#""room":"dev","token":"\#(tokens[4])""#, "error: invalid token"),
            (#""room":"dev","token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJNaW5hIiwiZXhwIjo5OTk5OTk5OTk5fQ.""#, "error: invalid token"),
            (#""room":"dev","token":"\#(tokens[5])""#, "error: token not yet valid"),
            (#""room":"dev","token":42"#, #"error: "token" must be a string (a JWT)"#),
        ]
        for (fields, expected) in refusals {
            let client = try Self.join(server, fields)
            #expect(client.readLine() == expected, "join {\(fields)}")
            #expect(client.waitForClose())
        }
        // The log says why a signature failed; the client never learns it.
        #expect(server.log.contains("join refused: token"))
        #expect(server.stop() == 0)
    }

    @Test func machatTokenMintsATokenPyJWTAcceptsAndTheGatewayAdmits() throws {
        let path = try Self.secretFile()
        defer { unlink(path) }
        let cli = try PipedProcess(
            executable: "\(MachatProcess.binaries)/machat",
            arguments: ["token", "-secret-file", path, "-name", "Ada", "-rooms", "dev,ops-*", "-ttl", "10m"])
        cli.closeInput()
        let token = cli.readToEnd(timeout: 10).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(PipedProcess.exitCode(cli.waitForExit(timeout: 10)) == 0)
        try #require(PyJWT.isAvailable, "python3 with PyJWT is required: pip install PyJWT")
        let check = try PipedProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "-c",
                #"import jwt, sys; c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"]); print(c["sub"], ",".join(c["rooms"]), c["exp"] - c["iat"])"#,
                token, Self.secret,
            ])
        check.closeInput()
        #expect(check.readToEnd(timeout: 10).trimmingCharacters(in: .whitespacesAndNewlines) == "Ada dev,ops-* 600")
        let server = try MachatProcess(["-auth-secret-file", path])
        let ws = try WebSocketTestClient(port: server.wsPort)
        ws.sendText(#"{"room":"ops-1","format":"json","token":"\#(token)"}"#)
        #expect(ws.readText()?.contains(#""name":"Ada""#) == true)
        #expect(server.stop() == 0)
    }

    @Test func aMissingOrWeakSecretsFileStopsMachatAtStart() throws {
        let weak = "/tmp/machat-e2e-weak-\(getpid())"
        try "short\n".write(toFile: weak, atomically: true, encoding: .utf8)
        defer { unlink(weak) }
        for path in [weak, "/nonexistent/secrets"] {
            let process = try PipedProcess(
                executable: "\(MachatProcess.binaries)/machat",
                arguments: ["-tcp", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-data-dir", "none", "-auth-secret-file", path])
            process.closeInput()
            #expect(PipedProcess.exitCode(process.waitForExit(timeout: 10)) == 2)
            #expect(process.errorOutput.contains("cannot use -auth-secret-file"))
        }
    }
}

/// Python's PyJWT, installed from PyPI once if missing (test-only).
enum PyJWT {
    static var isAvailable: Bool {
        if PipedProcess.pythonHasModule("jwt") { return true }
        guard
            let pip = try? PipedProcess(
                executable: "/usr/bin/env",
                arguments: ["python3", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "PyJWT"])
        else { return false }
        pip.closeInput()
        _ = pip.waitForExit(timeout: 120)
        return PipedProcess.pythonHasModule("jwt")
    }
}
