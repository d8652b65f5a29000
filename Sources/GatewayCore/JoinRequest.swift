import RouterProtocol

/// How a client wants what the room says: the seed's `name:text\n` lines, or
/// one JSON object per line (TCP) or text frame (WebSocket).
public enum ClientFormat: Sendable, Equatable {
    case text
    case json
}

/// A client's request to enter a room: `{"name":"Mina","room":"dev"}`, with
/// the optional keys `format`, `history`, `since` + `epoch` and `presence`.
public struct JoinRequest: Equatable, Sendable {
    public var name: String
    public var room: String
    public var format: ClientFormat = .text
    /// Lines of history asked for; nil: the key was not given.
    public var history: Int?
    /// Resume after this offset under this epoch.
    public var resume: JoinOptions.Resume?
    /// JSON only: join and leave events of other members.
    public var presence = false
    /// A join token (JWT); required when the gateway runs with
    /// `-auth-secret-file`, ignored otherwise. With a token `name` may be
    /// left out (it is then empty here, and the token's subject is used).
    public var token: String?

    public init(name: String, room: String) {
        self.name = name
        self.room = room
    }

    /// Largest `history` a join may ask for; the router sends at most its own
    /// `-history-size` anyway.
    public static let maxHistory = 1_000_000
    /// Largest `since`: 2^53 - 1, the largest integer every JSON client
    /// (JavaScript's numbers among them) holds exactly.
    public static let maxOffset: UInt64 = (1 << 53) - 1

    /// Checks the fields against the limits. The name may not contain `:`,
    /// since deliveries are `name:text` and a colon would let one user pose as
    /// another; neither field may be empty or hold control characters.
    public func validate(_ limits: GatewayLimits) -> JoinError? {
        if let problem = Self.problem(name, field: "name", maxBytes: limits.maxNameBytes) { return problem }
        if name.utf8.contains(UInt8(ascii: ":")) { return .invalidField(field: "name", reason: "must not contain ':'") }
        if let problem = Self.problem(room, field: "room", maxBytes: limits.maxRoomBytes) { return problem }
        return nil
    }

    /// What the router is asked for, with `-default-history` applied to a
    /// join that asked for neither history nor a resume.
    public func routerOptions(defaultHistory: Int) -> JoinOptions {
        var history = history
        if history == nil && resume == nil && defaultHistory > 0 { history = defaultHistory }
        return JoinOptions(
            history: history.map { UInt32(min($0, Self.maxHistory)) }, resume: resume, wantsMembers: format == .json)
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
    /// An optional key has a value it may not have; the text names what is allowed.
    case invalidOption(String)

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
        case .invalidOption(let text): return text
        }
    }
}

extension JoinRequest {
    /// Parses a complete join object (the WebSocket join message, or the bytes
    /// `JoinScanner` delimited on TCP). Validation against limits is separate.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<JoinRequest, JoinError> {
        switch JSONObjectReader.readObject(bytes) {
        case .failure(let error):
            return .failure(error)
        case .success(let members):
            do throws(JoinError) {
                return .success(try request(from: members))
            } catch {
                return .failure(error)
            }
        }
    }

    public static func parse(_ bytes: [UInt8]) -> Result<JoinRequest, JoinError> {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The format a join object asks for, when it names a valid one: errors
    /// about the rest of the join are then sent in that format.
    public static func requestedFormat(_ bytes: UnsafeRawBufferPointer) -> ClientFormat {
        guard case .success(let members) = JSONObjectReader.readObject(bytes),
            case .string("json") = members["format"]
        else { return .text }
        return .json
    }

    private static func request(from members: [String: JSONScalar]) throws(JoinError) -> JoinRequest {
        var token: String?
        switch members["token"] {
        case nil: break
        case .string(let text): token = text
        default: throw .invalidOption(#""token" must be a string (a JWT)"#)
        }
        // With a token the name may be left out: the token names the member.
        let name = token != nil && members["name"] == nil ? "" : try string(members, "name")
        var request = JoinRequest(name: name, room: try string(members, "room"))
        request.token = token
        switch members["format"] {
        case nil, .string("text"): request.format = .text
        case .string("json"): request.format = .json
        default: throw .invalidOption(#""format" must be "text" or "json""#)
        }
        if let value = members["history"] {
            let text = "\"history\" must be a whole number from 0 to \(maxHistory)"
            guard let count = wholeNumber(value, max: UInt64(maxHistory)) else { throw .invalidOption(text) }
            request.history = Int(count)
        }
        switch (members["since"], members["epoch"]) {
        case (nil, nil):
            break
        case (.some(let since), .some(let epoch)):
            guard let offset = wholeNumber(since, max: maxOffset) else {
                throw .invalidOption("\"since\" must be a whole number from 0 to \(maxOffset) (an offset from a message)")
            }
            guard case .string(let epochText) = epoch, !epochText.isEmpty, epochText.utf8.count <= 64 else {
                throw .invalidOption(#""epoch" must be the non-empty string from the welcome (at most 64 bytes)"#)
            }
            request.resume = JoinOptions.Resume(since: offset, epoch: epochText)
        case (.some, nil):
            throw .invalidOption(#""since" needs "epoch": send both, as the welcome and messages gave them"#)
        case (nil, .some):
            throw .invalidOption(#""epoch" needs "since": send both, as the welcome and messages gave them"#)
        }
        switch members["presence"] {
        case nil, .bool(false): request.presence = false
        case .bool(true): request.presence = true
        default: throw .invalidOption(#""presence" must be true or false"#)
        }
        if request.presence && request.format != .json {
            throw .invalidOption(#""presence" needs "format":"json" (text lines have no place for join and leave events)"#)
        }
        return request
    }

    private static func string(_ members: [String: JSONScalar], _ key: String) throws(JoinError) -> String {
        guard let value = members[key] else { throw .missingField(key) }
        guard case .string(let text) = value else { throw .wrongType(field: key) }
        return text
    }

    /// A JSON number written as a whole number (no fraction, no exponent, no
    /// minus sign) no larger than `max`.
    private static func wholeNumber(_ value: JSONScalar, max: UInt64) -> UInt64? {
        guard case .number(let text) = value, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let number = UInt64(text), number <= max
        else { return nil }
        return number
    }
}
