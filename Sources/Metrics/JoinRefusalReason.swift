/// Why a connection was refused instead of joined: the fixed values of the
/// `reason` label of `machat_join_refusals_total`.
public enum JoinRefusalReason: Int, CaseIterable, Sendable {
    /// The join was malformed JSON or broke a rule (name, room, options).
    case invalidJoin
    /// The router refused the name: another member of the room has it.
    case nameTaken
    /// The gateway was at -max-connections.
    case full
    /// No join (or WebSocket handshake) arrived in time.
    case timeout
    /// Too many lines were held for the router already.
    case busy
    /// The gateway was stopping.
    case draining
    /// The router refused it for another reason.
    case other
    /// Tokens are required and this one was missing, invalid, expired or
    /// not for this name or room.
    case unauthorized
    /// The client's address held too many connections, or joined too often
    /// (-max-connections-per-ip, -joins-per-ip).
    case addressLimit

    /// The label value.
    public var labelValue: String {
        switch self {
        case .invalidJoin: return "invalid_join"
        case .nameTaken: return "name_taken"
        case .full: return "full"
        case .timeout: return "timeout"
        case .busy: return "busy"
        case .draining: return "draining"
        case .other: return "other"
        case .unauthorized: return "unauthorized"
        case .addressLimit: return "address_limit"
        }
    }

    /// The label with every value, in case order (the cells' order).
    public static let label = MetricLabel("reason", values: allCases.map(\.labelValue))
}
