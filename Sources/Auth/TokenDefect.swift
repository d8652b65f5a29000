/// What is wrong with a token that is refused as `invalid token`. Clients are
/// told nothing more (a forger should not learn which check failed); the
/// operator's log gets `description`.
public enum TokenDefect: Error, Equatable, Sendable, CustomStringConvertible {
    /// One of the three dot-separated parts of a JWS compact token (RFC 7515 §7.1).
    public enum Part: String, Equatable, Sendable {
        case header, payload, signature
    }

    case empty
    case tooLong(bytes: Int, max: Int)
    /// Not three parts; five would be an encrypted JWT (RFC 7516), which MaChat does not accept.
    case partCount(Int)
    case badEncoding(Part, Base64URL.DecodingError)
    case badJSON(Part, detail: String)
    case missingAlgorithm
    /// An `alg` other than exactly `HS256` (`none`, `HS384`, `RS256`, `hs256`, …).
    case algorithmRefused(String)
    case typeRefused(String)
    /// A `crit` header: RFC 7515 §4.1.11 requires refusing extensions we do not understand, and we understand none.
    case criticalHeader
    case signatureLength(Int)
    /// The signature matches none of the configured secrets.
    case signatureMismatch
    case missingClaim(String)
    case claimType(name: String, expected: String, found: String)
    /// A NumericDate that does not fit in 64-bit seconds.
    case claimOutOfRange(String)
    case emptySubject

    /// The detail for the operator's log.
    public var description: String {
        switch self {
        case .empty: return "token is empty"
        case .tooLong(let bytes, let max): return "token is \(bytes) bytes, over the limit of \(max)"
        case .partCount(let count):
            return count == 5
                ? "token has 5 parts (an encrypted JWE); only signed JWS compact tokens (3 parts) are accepted"
                : "token has \(count) dot-separated parts, not 3"
        case .badEncoding(let part, let error): return "\(part.rawValue) is not canonical base64url: \(error.description)"
        case .badJSON(let part, let detail): return "\(part.rawValue) is not a valid JSON object: \(detail)"
        case .missingAlgorithm: return "header has no \"alg\""
        case .algorithmRefused(let alg): return "algorithm \(alg) refused; only HS256 is accepted"
        case .typeRefused(let typ): return "header \"typ\" is \(typ), not JWT"
        case .criticalHeader: return "header has \"crit\" extensions, which are not supported"
        case .signatureLength(let count): return "signature is \(count) bytes, not the 32 of HS256"
        case .signatureMismatch: return "signature does not match any configured secret"
        case .missingClaim(let name): return "claim \"\(name)\" is missing"
        case .claimType(let name, let expected, let found): return "claim \"\(name)\" must be \(expected), not \(found)"
        case .claimOutOfRange(let name): return "claim \"\(name)\" is out of range"
        case .emptySubject: return "claim \"sub\" is empty"
        }
    }
}
