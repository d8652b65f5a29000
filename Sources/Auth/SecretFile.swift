import Glibc

/// The HS256 secrets of `-auth-secret-file`: one per line, the first signs new
/// tokens and all of them verify, so a secret is rotated by putting the new
/// one first and deleting the old one once its tokens have expired.
///
/// Lines are taken as raw bytes with trailing spaces, tabs and CR removed;
/// empty lines and lines starting with `#` are skipped.
public struct SecretFile: Equatable, Sendable {
    /// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    public static let minimumSecretBytes = 32
    /// A secret file is a few lines; anything larger is a mistake, not secrets.
    public static let maxFileBytes = 65536

    /// The secrets in file order; never empty.
    public var secrets: [[UInt8]]
    /// Things the operator should fix that do not stop MaChat, such as a file
    /// others can read.
    public var warnings: [String]

    public init(secrets: [[UInt8]], warnings: [String] = []) {
        self.secrets = secrets
        self.warnings = warnings
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(SecretFileError) -> SecretFile {
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .cannotRead(path: path, errno: errno) }
        let type = status.st_mode & S_IFMT
        // A FIFO is allowed so that `-auth-secret-file <(vault read …)` works.
        guard type == S_IFREG || type == S_IFIFO else { throw .notARegularFile(path: path) }
        var warnings: [String] = []
        let exposed = status.st_mode & 0o066
        if type == S_IFREG && exposed != 0 {
            let mode = String(status.st_mode & 0o777, radix: 8)
            let who = exposed & 0o044 != 0 ? "readable" : "writable"
            warnings.append("secret file \(path) is \(who) by group or others (mode 0\(mode)); chmod 600 it")
        }
        let contents = try readAll(fd, path: path)
        return SecretFile(secrets: try parse(contents, path: path), warnings: warnings)
    }

    /// Parses file contents; `path` only names the file in errors.
    public static func parse(_ contents: [UInt8], path: String) throws(SecretFileError) -> [[UInt8]] {
        var secrets: [[UInt8]] = []
        for (number, rawLine) in contents.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = rawLine[...]
            while let last = line.last, last == 0x20 || last == 0x09 || last == 0x0D {
                line = line.dropLast()
            }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard line.count >= minimumSecretBytes else {
                throw .secretTooShort(path: path, line: number + 1, bytes: line.count)
            }
            secrets.append(Array(line))
        }
        guard !secrets.isEmpty else { throw .noSecrets(path: path) }
        return secrets
    }

    private static func readAll(_ fd: Int32, path: String) throws(SecretFileError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, errno: errno)
            }
            if count == 0 { return contents }
            contents += chunk[..<count]
            guard contents.count <= maxFileBytes else { throw .tooLarge(path: path, max: maxFileBytes) }
        }
    }
}
