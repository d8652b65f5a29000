/// Why `machat token` printed no token; `message` says what to do.
public enum TokenCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `-h`: not an error, but no token either; the caller prints the usage.
    case helpRequested
    case usage(String)
    case secretFile(SecretFileError)

    /// One line for standard error.
    public var message: String {
        switch self {
        case .helpRequested: return TokenCommand.usage
        case .usage(let problem): return "\(problem) (see machat token -h)"
        case .secretFile(let error): return error.message
        }
    }

    /// 0 for help, 2 for a usage error (as the other MaChat commands), 1 when the secret file cannot be used.
    public var exitStatus: Int32 {
        switch self {
        case .helpRequested: return 0
        case .usage: return 2
        case .secretFile: return 1
        }
    }

    public var description: String { message }
}
