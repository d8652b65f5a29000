/// Why a join was refused by token authentication. `clientMessage` is what
/// the client is told (after `error: ` on TCP); `operatorReason` is the detail
/// for the log line, which clients never see (and is also `description`,
/// so logging the error itself logs the detail, never sending it).
public enum AuthError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Tokens are required and the join carried none.
    case tokenRequired
    /// Malformed, wrongly signed or otherwise unacceptable.
    case invalid(TokenDefect)
    case expired(subject: String, expiresAt: Int64, now: Int64)
    case notYetValid(subject: String, notBefore: Int64, now: Int64)
    case roomNotAllowed(room: String, subject: String)
    /// The join's `name` is not the token's `sub`.
    case nameMismatch(name: String, subject: String)

    /// The client-facing text, without the `error: ` prefix.
    public var clientMessage: String {
        switch self {
        case .tokenRequired: return #"authentication required: send "token" in the join"#
        case .invalid: return "invalid token"
        case .expired: return "token expired"
        case .notYetValid: return "token not yet valid"
        case .roomNotAllowed(let room, _): return "token not valid for room \(JSONText.quoted(room))"
        case .nameMismatch: return #"token is for another name; send the token's name or leave "name" out"#
        }
    }

    /// The detail for the operator's log (a sentence; log it as a field value).
    public var operatorReason: String {
        switch self {
        case .tokenRequired: return "join has no token"
        case .invalid(let defect): return defect.description
        case .expired(let subject, let expiresAt, let now):
            return "token for \(JSONText.quoted(subject)) expired at \(expiresAt) (now \(now))"
        case .notYetValid(let subject, let notBefore, let now):
            return "token for \(JSONText.quoted(subject)) is not valid before \(notBefore) (now \(now))"
        case .roomNotAllowed(let room, let subject):
            return "token for \(JSONText.quoted(subject)) does not list room \(JSONText.quoted(room))"
        case .nameMismatch(let name, let subject):
            return "join name \(JSONText.quoted(name)) differs from token subject \(JSONText.quoted(subject))"
        }
    }

    public var description: String { operatorReason }
}
