import Foundation
import Testing

@testable import Auth

@Suite struct SecretFileTests {
    private let a = String(repeating: "a", count: 32)
    private let b = "b-secret-that-is-long-enough-for-hs256"

    @Test func oneSecretPerLineWithCommentsBlankLinesAndCRLF() throws {
        let contents = "# current first\r\n\(a)  \r\n\n   \n# previous\n\(b)\t\n"
        #expect(try SecretFile.parse(utf8(contents), path: "f") == [utf8(a), utf8(b)])
    }

    @Test func leadingSpaceAndInnerBytesBelongToTheSecret() throws {
        let secret = " x#y \u{e9}" + String(repeating: "z", count: 30)
        #expect(try SecretFile.parse(utf8(secret), path: "f") == [utf8(secret)])
    }

    @Test func aShortSecretIsRefusedCitingRFC7518() {
        #expect(throws: SecretFileError.secretTooShort(path: "f", line: 3, bytes: 31)) {
            try SecretFile.parse(utf8("\(a)\n# c\n\(String(repeating: "s", count: 31))\n"), path: "f")
        }
        let message = SecretFileError.secretTooShort(path: "/etc/machat/secrets", line: 3, bytes: 31).message
        #expect(
            message
                == "secret on line 3 of /etc/machat/secrets is 31 bytes; HS256 needs at least 32 "
                + "(RFC 7518 §3.2: a key at least as long as the hash output)")
    }

    @Test func aFileWithoutSecretsIsRefused() {
        #expect(throws: SecretFileError.noSecrets(path: "f")) { try SecretFile.parse(utf8("# only a comment\n\n"), path: "f") }
        #expect(throws: SecretFileError.noSecrets(path: "f")) { try SecretFile.parse([], path: "f") }
    }

    @Test func aPrivateFileLoadsWithoutWarnings() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("secrets", "\(a)\n\(b)\n")
        #expect(try SecretFile.load(path: path) == SecretFile(secrets: [utf8(a), utf8(b)], warnings: []))
    }

    @Test func aFileOthersCanReadLoadsWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("secrets", "\(a)\n", mode: 0o644)
        let file = try SecretFile.load(path: path)
        #expect(file.secrets == [utf8(a)])
        #expect(file.warnings == ["secret file \(path) is readable by group or others (mode 0644); chmod 600 it"])
        try FileManager.default.setAttributes([.posixPermissions: 0o620], ofItemAtPath: path)
        #expect(
            try SecretFile.load(path: path).warnings == [
                "secret file \(path) is writable by group or others (mode 0620); chmod 600 it"
            ])
    }

    @Test func unreadablePathsAreRefusedWithTheSystemsReason() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.appendingPathComponent("absent").path
        #expect(throws: SecretFileError.cannotOpen(path: missing, errno: ENOENT)) { try SecretFile.load(path: missing) }
        #expect(
            SecretFileError.cannotOpen(path: missing, errno: ENOENT).message
                == "cannot open secret file \(missing): No such file or directory (errno 2)")
        #expect(throws: SecretFileError.notARegularFile(path: directory.url.path)) {
            try SecretFile.load(path: directory.url.path)
        }
    }

    @Test func aHugeFileIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("secrets", String(repeating: a + "\n", count: 3000))
        #expect(throws: SecretFileError.tooLarge(path: path, max: SecretFile.maxFileBytes)) { try SecretFile.load(path: path) }
    }
}
