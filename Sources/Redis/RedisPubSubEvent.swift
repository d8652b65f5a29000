/// One reply a connection in subscriber mode receives, classified. RESP2
/// sends them as arrays (`["message", channel, payload]`); RESP3 as pushes
/// of the same shape, which are accepted too.
enum RedisPubSubEvent: Equatable {
    case message(channel: [UInt8], payload: [UInt8])
    /// SUBSCRIBE confirmed `channel`; the connection now holds `count`.
    case subscribed(channel: [UInt8], count: Int64)
    /// UNSUBSCRIBE confirmed `channel` (nil when none was held).
    case unsubscribed(channel: [UInt8]?, count: Int64)
    /// The answer to PING (`["pong", ""]` in subscriber mode, `+PONG` before).
    case pong
    /// An error reply.
    case error(String)

    // Compared against every reply: allocated once, not per message.
    private static let messageKind = Array("message".utf8)
    private static let subscribeKind = Array("subscribe".utf8)
    private static let unsubscribeKind = Array("unsubscribe".utf8)
    private static let pongKind = Array("pong".utf8)
    private static let pongStatus = Array("PONG".utf8)

    /// Classifies `reply`; nil for anything a subscriber never expects.
    init?(_ reply: RESPValue) {
        let elements: [RESPValue]
        switch reply {
        case .array(let items), .push(let items):
            elements = items
        case .simpleString(let status) where status == Self.pongStatus:
            self = .pong
            return
        case .error(let message), .bulkError(let message):
            self = .error(String(decoding: message, as: UTF8.self))
            return
        default:
            return nil
        }
        guard let kind = elements.first?.bytes else { return nil }
        switch (kind, elements.count) {
        case (Self.messageKind, 3):
            guard case .bulkString(let channel) = elements[1], case .bulkString(let payload) = elements[2] else { return nil }
            self = .message(channel: channel, payload: payload)
        case (Self.subscribeKind, 3):
            guard case .bulkString(let channel) = elements[1], case .integer(let count) = elements[2] else { return nil }
            self = .subscribed(channel: channel, count: count)
        case (Self.unsubscribeKind, 3):
            guard case .integer(let count) = elements[2] else { return nil }
            switch elements[1] {
            case .bulkString(let channel): self = .unsubscribed(channel: channel, count: count)
            case .nullBulkString, .null: self = .unsubscribed(channel: nil, count: count)
            default: return nil
            }
        case (Self.pongKind, 2):
            self = .pong
        default:
            return nil
        }
    }
}
