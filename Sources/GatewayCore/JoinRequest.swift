/// A client's request to enter a room: `{"name":"Mina","room":"dev"}`.
public struct JoinRequest: Equatable, Sendable {
    public var name: String
    public var room: String

    public init(name: String, room: String) {
        self.name = name
        self.room = room
    }

    /// Checks the fields against the limits. The name may not contain `:`,
    /// since deliveries are `name:text` and a colon would let one user pose as
    /// another; neither field may be empty or hold control characters.
    public func validate(_ limits: GatewayLimits) -> JoinError? {
        if let problem = Self.problem(name, field: "name", maxBytes: limits.maxNameBytes) { return problem }
        if name.utf8.contains(UInt8(ascii: ":")) { return .invalidField(field: "name", reason: "must not contain ':'") }
        if let problem = Self.problem(room, field: "room", maxBytes: limits.maxRoomBytes) { return problem }
        return nil
    }

    private static func problem(_ value: String, field: String, maxBytes: Int) -> JoinError? {
        if value.isEmpty { return .invalidField(field: field, reason: "must not be empty") }
        if value.utf8.count > maxBytes { return .invalidField(field: field, reason: "must be at most \(maxBytes) bytes") }
        for scalar in value.unicodeScalars {
            // C0, DEL and C1 controls, plus line and paragraph separators that
            // would break a line-based display.
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                return .invalidField(field: field, reason: "must not contain control characters")
            }
        }
        return nil
    }
}

/// Why a join was not accepted; `message` is what the client is told.
public enum JoinError: Error, Equatable, Sendable {
    case invalidJSON(String)
    case notAnObject
    case missingField(String)
    case wrongType(field: String)
    case invalidField(field: String, reason: String)
    case tooLarge(max: Int)

    /// The client-facing text, without the `error: ` prefix.
    public var message: String {
        let shape = #"send {"name":"<you>","room":"<room>"}"#
        switch self {
        case .invalidJSON(let why): return "invalid join JSON (\(why)); \(shape)"
        case .notAnObject: return "the join must be a JSON object; \(shape)"
        case .missingField(let field): return "the join has no \"\(field)\"; \(shape)"
        case .wrongType(let field): return "\"\(field)\" must be a string; \(shape)"
        case .invalidField(let field, let reason): return "\(field) \(reason)"
        case .tooLarge(let max): return "the join is larger than \(max) bytes; \(shape)"
        }
    }
}
