import Glibc

/// Why the secret file cannot be used; `message` says what to do.
public enum SecretFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case cannotRead(path: String, errno: Int32)
    case notARegularFile(path: String)
    case tooLarge(path: String, max: Int)
    case noSecrets(path: String)
    case secretTooShort(path: String, line: Int, bytes: Int)

    /// One line for the operator; never contains a secret.
    public var message: String {
        switch self {
        case .cannotOpen(let path, let code): return "cannot open secret file \(path): \(Self.describe(code))"
        case .cannotRead(let path, let code): return "cannot read secret file \(path): \(Self.describe(code))"
        case .notARegularFile(let path): return "secret file \(path) is not a regular file"
        case .tooLarge(let path, let max): return "secret file \(path) is larger than \(max) bytes; it should hold a few lines"
        case .noSecrets(let path):
            return "secret file \(path) holds no secret; put one per line (at least \(SecretFile.minimumSecretBytes) bytes)"
        case .secretTooShort(let path, let line, let bytes):
            return "secret on line \(line) of \(path) is \(bytes) bytes; HS256 needs at least "
                + "\(SecretFile.minimumSecretBytes) (RFC 7518 §3.2: a key at least as long as the hash output)"
        }
    }

    public var description: String { message }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text)) (errno \(code))"
    }
}
