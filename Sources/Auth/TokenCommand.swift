/// `machat token -secret-file FILE -name NAME [-rooms LIST] [-ttl DURATION]`:
/// mints a join token with the first secret of the file and prints it. The
/// logic lives here, without I/O to the terminal, so tests drive it directly.
public enum TokenCommand {
    /// The default lifetime of a token, in seconds (one hour).
    public static let defaultLifetime: Int64 = 3600
    /// The longest lifetime accepted (ten years), which keeps `exp` far from overflow.
    public static let maxLifetime: Int64 = 3650 * 86400

    /// The help text.
    public static let usage = """
        usage: machat token -secret-file FILE -name NAME [-rooms LIST] [-ttl DURATION]

        Prints an HS256 join token (a JWT) for NAME, signed with the first secret in FILE
        (the file given to machat as -auth-secret-file).

          -secret-file FILE   HS256 secrets, one per line (at least 32 bytes each)
          -name NAME          the member's name (the token's "sub")
          -rooms LIST         comma-separated rooms the token may join; a name ending in *
                              is a prefix (dev-* allows dev-a, dev-b); default: every room
          -ttl DURATION       lifetime: a number with s, m, h or d (90m, 12h, 7d); default 1h

        """

    /// A minted token and any warnings about the secret file.
    public struct Issued: Equatable, Sendable {
        public var token: String
        public var warnings: [String]
    }

    /// What the process prints and how it exits.
    public struct Outcome: Equatable, Sendable {
        public var standardOutput: String
        public var standardError: String
        public var exitStatus: Int32
    }

    /// Runs the command with `arguments` (those after `token`) at `now`
    /// (seconds since the epoch): the token and a newline on standard output,
    /// warnings and errors on standard error.
    public static func run(arguments: [String], now: Int64) -> Outcome {
        switch issue(arguments: arguments, now: now) {
        case .success(let issued):
            let warnings = issued.warnings.map { "machat token: warning: \($0)\n" }.joined()
            return Outcome(standardOutput: issued.token + "\n", standardError: warnings, exitStatus: 0)
        case .failure(.helpRequested):
            return Outcome(standardOutput: usage, standardError: "", exitStatus: 0)
        case .failure(let error):
            return Outcome(standardOutput: "", standardError: "machat token: \(error.message)\n", exitStatus: error.exitStatus)
        }
    }

    /// Parses `arguments`, reads the secret file and mints the token.
    public static func issue(arguments: [String], now: Int64) -> Result<Issued, TokenCommandError> {
        let values: [String: String]
        switch parse(arguments) {
        case .success(let parsed): values = parsed
        case .failure(let error): return .failure(error)
        }
        guard let path = values["secret-file"], !path.isEmpty else { return .failure(.usage("-secret-file FILE is required")) }
        guard let name = values["name"], !name.isEmpty else { return .failure(.usage("-name NAME is required")) }
        // The gateways refuse such names, so a token for one could never be used.
        if name.utf8.contains(UInt8(ascii: ":")) { return .failure(.usage("-name must not contain ':'")) }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return .failure(.usage("-name must not contain control characters"))
        }
        var rooms: [String]?
        if let list = values["rooms"] {
            let names = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !names.contains(where: \.isEmpty) else {
                return .failure(.usage("-rooms must be a comma-separated list of room names, none empty"))
            }
            rooms = names
        }
        var lifetime = defaultLifetime
        if let text = values["ttl"] {
            guard let seconds = duration(text), seconds > 0, seconds <= maxLifetime else {
                return .failure(.usage("invalid -ttl \(JSONText.quoted(text)); use a number with s, m, h or d, up to 3650d"))
            }
            lifetime = seconds
        }
        let file: SecretFile
        do {
            file = try SecretFile.load(path: path)
        } catch {
            return .failure(.secretFile(error))
        }
        let signer = JWTSigner(secret: file.secrets[0])
        let token = signer.sign(subject: name, rooms: rooms, expiresAt: now + lifetime, issuedAt: now)
        return .success(Issued(token: token, warnings: file.warnings))
    }

    /// Seconds in `text`: digits with an optional `s`, `m`, `h` or `d` (bare digits are seconds).
    static func duration(_ text: String) -> Int64? {
        var digits = Array(text.utf8)[...]
        var unit: Int64 = 1
        if let last = digits.last, let seconds = unitSeconds(last) {
            unit = seconds
            digits = digits.dropLast()
        }
        // Twelve digits of days still fit in Int64 seconds.
        guard !digits.isEmpty, digits.count <= 12 else { return nil }
        var count: Int64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            count = count * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return count * unit
    }

    private static func unitSeconds(_ suffix: UInt8) -> Int64? {
        switch suffix {
        case UInt8(ascii: "s"): return 1
        case UInt8(ascii: "m"): return 60
        case UInt8(ascii: "h"): return 3600
        case UInt8(ascii: "d"): return 86400
        default: return nil
        }
    }

    /// Flags as `-name value`, `-name=value` or with `--`; each at most once.
    private static func parse(_ arguments: [String]) -> Result<[String: String], TokenCommandError> {
        let known: Set<String> = ["secret-file", "name", "rooms", "ttl"]
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument.count > 1 else {
                return .failure(.usage("unexpected argument \(JSONText.quoted(argument))"))
            }
            var flag = Substring(argument.dropFirst(argument.hasPrefix("--") ? 2 : 1))
            if flag == "h" || flag == "help" { return .failure(.helpRequested) }
            var value: String?
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = flag[..<equals]
            }
            let name = String(flag)
            guard known.contains(name) else { return .failure(.usage("unknown flag -\(name)")) }
            guard values[name] == nil else { return .failure(.usage("-\(name) given twice")) }
            if value == nil {
                guard index < arguments.count else { return .failure(.usage("-\(name) needs a value")) }
                value = arguments[index]
                index += 1
            }
            values[name] = value
        }
        return .success(values)
    }
}
