/// Why a Redis URL was refused. Messages name the part at fault and the form
/// expected; none repeats a password.
public enum RedisURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `rediss://`: MaChat's client has no TLS.
    case tlsNotSupported
    /// A scheme other than `redis://` (e.g. `unix://`, `http://`).
    case unsupportedScheme(String)
    /// No `scheme://` at all.
    case missingScheme(String)
    /// Nothing between `redis://` (or `@`) and the port or path.
    case missingHost
    /// A host with characters no host name or IP address has.
    case invalidHost(String)
    /// A port that is not 1–65535.
    case invalidPort(String)
    /// A path that is not `/` followed by a database number.
    case invalidDatabase(String)
    /// A `%` not followed by two hex digits in the user or password.
    case invalidPercentEncoding
    /// `redis://USER@host`: a user needs a password (`USER:PASSWORD@`).
    case userWithoutPassword
    /// `redis://:@host` or `redis://USER:@host`.
    case emptyPassword
    /// `?…` or `#…`, which this client does not interpret.
    case queryNotSupported
    /// An empty entry in a comma-separated list of shards (1-based position).
    case emptyListEntry(position: Int)
    /// The same `host:port/db` twice in a list of shards.
    case duplicateShard(String)

    static let form = "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"

    public var description: String {
        switch self {
        case .tlsNotSupported:
            return "TLS (rediss://) is not supported; run Redis on a private network or tunnel it"
        case .unsupportedScheme(let scheme): return "unsupported scheme \"\(scheme)://\"; \(Self.form)"
        case .missingScheme(let text): return "\"\(text)\" is not a Redis URL; \(Self.form)"
        case .missingHost: return "the Redis URL has no host; \(Self.form)"
        case .invalidHost(let host): return "invalid host \"\(host)\" in the Redis URL"
        case .invalidPort(let port): return "invalid port \"\(port)\" in the Redis URL; use 1-65535 (default 6379)"
        case .invalidDatabase(let path): return "invalid database \"\(path)\" in the Redis URL; use /0, /1, … (default 0)"
        case .invalidPercentEncoding: return "invalid percent-encoding in the Redis URL's user or password (use %XX)"
        case .userWithoutPassword:
            return "the Redis URL names a user but no password; use redis://USER:PASSWORD@HOST or redis://:PASSWORD@HOST"
        case .emptyPassword: return "the Redis URL has an empty password; leave out the user part if there is none"
        case .queryNotSupported: return "query parameters and fragments are not supported in the Redis URL; \(Self.form)"
        case .emptyListEntry(let position): return "entry \(position) of the Redis URL list is empty"
        case .duplicateShard(let shard): return "Redis shard \(shard) is listed more than once"
        }
    }
}
