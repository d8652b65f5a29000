/// Close status codes (RFC 6455 §7.4, IANA "WebSocket Close Code Number Registry").
public enum WebSocketCloseCode {
    /// The purpose of the connection was fulfilled.
    public static let normalClosure: UInt16 = 1000
    /// The endpoint is going away, such as a server shutting down.
    public static let goingAway: UInt16 = 1001
    /// The peer broke the framing protocol.
    public static let protocolError: UInt16 = 1002
    /// The peer sent a kind of data this endpoint does not accept.
    public static let unsupportedData: UInt16 = 1003
    /// A message's data was inconsistent with its type, such as invalid UTF-8 in text.
    public static let invalidPayload: UInt16 = 1007
    /// A message violated the endpoint's policy.
    public static let policyViolation: UInt16 = 1008
    /// A message was too big to process.
    public static let messageTooBig: UInt16 = 1009
    /// The server hit an unexpected condition.
    public static let internalError: UInt16 = 1011
    /// The server is restarting (IANA registry).
    public static let serviceRestart: UInt16 = 1012
    /// The server is overloaded; try again later (IANA registry).
    public static let tryAgainLater: UInt16 = 1013

    /// Whether a peer may send `code` in a close frame (RFC 6455 §7.4.1, §7.4.2).
    ///
    /// 1004–1006 and 1015 are reserved and never sent on the wire; 1000–2999 are only
    /// valid where registered (1000–1003, 1007–1011, and IANA's 1012–1014); 3000–4999
    /// belong to libraries and applications.
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
