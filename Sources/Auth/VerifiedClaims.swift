/// What a token whose signature and times checked out says about its holder.
public struct VerifiedClaims: Equatable, Sendable {
    /// `sub`: the member's name.
    public var subject: String
    /// `rooms`: the rooms the holder may join, as exact names or prefixes
    /// ending in `*`; nil when the token does not restrict rooms.
    public var rooms: [String]?
    /// `exp`, floored to whole seconds since the epoch.
    public var expiresAt: Int64
    /// `nbf`, if present, floored.
    public var notBefore: Int64?
    /// `iat`, if present, floored.
    public var issuedAt: Int64?

    public init(subject: String, rooms: [String]?, expiresAt: Int64, notBefore: Int64? = nil, issuedAt: Int64? = nil) {
        self.subject = subject
        self.rooms = rooms
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
    }

    /// Whether the token lets its holder join `room`: no `rooms` claim allows
    /// every room; otherwise an entry must equal the room or, if it ends in
    /// `*`, be a prefix of it (`*` alone allows every room). A `*` elsewhere
    /// is an ordinary character.
    ///
    /// Names compare as Swift strings, as the router keys its rooms, so a
    /// room the router treats as the same is allowed the same way.
    public func allows(room: String) -> Bool {
        guard let rooms else { return true }
        for pattern in rooms {
            if pattern.utf8.last == UInt8(ascii: "*") {
                if room.hasPrefix(String(pattern.unicodeScalars.dropLast())) { return true }
            } else if pattern == room {
                return true
            }
        }
        return false
    }
}
