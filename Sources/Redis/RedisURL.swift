/// Where and how to reach one Redis server, parsed from
/// `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (the IANA provisional
/// `redis` scheme): port 6379 and database 0 by default; user and password
/// percent-decoded (RFC 3986, section 2.1), so any byte can be in them.
public struct RedisURL: Equatable, Sendable, CustomStringConvertible {
    /// A host name, IPv4 address, or IPv6 address without brackets.
    public var host: String
    public var port: UInt16
    /// The ACL user (Redis 6+); nil authenticates as `default`.
    public var user: [UInt8]?
    /// nil sends no AUTH.
    public var password: [UInt8]?
    /// The database SELECTed after connecting.
    public var database: Int

    public static let defaultPort: UInt16 = 6379

    public init(host: String, port: UInt16 = defaultPort, user: [UInt8]? = nil, password: [UInt8]? = nil, database: Int = 0) {
        precondition(user == nil || password != nil, "a user needs a password")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses one URL; surrounding spaces are ignored.
    public init(_ text: String) throws(RedisURLError) {
        let trimmed = Self.trimmed(Substring(text))
        guard let colon = trimmed.firstIndex(of: ":"), trimmed[colon...].hasPrefix("://"), colon > trimmed.startIndex else {
            throw .missingScheme(String(trimmed))
        }
        let scheme = trimmed[..<colon].lowercased()
        if scheme == "rediss" { throw .tlsNotSupported }
        guard scheme == "redis" else { throw .unsupportedScheme(scheme) }
        let rest = trimmed[trimmed.index(colon, offsetBy: 3)...]
        if rest.contains("?") || rest.contains("#") { throw .queryNotSupported }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]

        var hostPort = authority
        user = nil
        password = nil
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else { throw .userWithoutPassword }
            let userPart = userInfo[..<colon]
            let passwordPart = userInfo[userInfo.index(after: colon)...]
            guard !passwordPart.isEmpty else { throw .emptyPassword }
            user = userPart.isEmpty ? nil : try Self.percentDecoded(userPart)
            password = try Self.percentDecoded(passwordPart)
        }
        (host, port) = try Self.hostAndPort(hostPort)
        database = try Self.database(path)
    }

    /// Parses a comma-separated list of shard URLs, in order; refuses empty
    /// entries and a shard listed twice.
    public static func parseList(_ text: String) throws(RedisURLError) -> [RedisURL] {
        var urls: [RedisURL] = []
        var seen: Set<String> = []
        for (index, entry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard !trimmed(entry).isEmpty else { throw .emptyListEntry(position: index + 1) }
            let url = try RedisURL(String(entry))
            guard seen.insert(url.shardName).inserted else { throw .duplicateShard(url.shardName) }
            urls.append(url)
        }
        return urls
    }

    /// `host:port`, with brackets around an IPv6 address.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `host:port/db` with the host in lower case: the shard's identity, which
    /// every node must spell the same way for `ShardRing` to agree.
    public var shardName: String { "\(address.lowercased())/\(database)" }

    /// The URL with the password replaced by `***`, safe for logs.
    public var description: String {
        var text = "redis://"
        if password != nil {
            if let user { text += String(decoding: user, as: UTF8.self) }
            text += ":***@"
        }
        return text + address + "/\(database)"
    }

    // MARK: Parts

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    private static func hostAndPort(_ text: Substring) throws(RedisURLError) -> (String, UInt16) {
        var host: Substring
        var port: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidHost(String(text)) }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost(String(text)) }
                port = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .invalidHost(String(host))
            }
        } else {
            host = text
            if let colon = text.lastIndex(of: ":") {
                host = text[..<colon]
                port = text[text.index(after: colon)...]
            }
            let allowed = host.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "." || $0 == "-"
                    || $0 == "_"
            }
            guard allowed else { throw host.isEmpty ? .missingHost : .invalidHost(String(host)) }
        }
        guard !host.isEmpty else { throw .missingHost }
        guard let port else { return (String(host), defaultPort) }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), let number = UInt16(port), number > 0 else {
            throw .invalidPort(String(port))
        }
        return (String(host), number)
    }

    private static func database(_ path: Substring) throws(RedisURLError) -> Int {
        guard path.count > 1 else { return 0 }
        let digits = path.dropFirst()
        guard digits.count <= 10, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let number = Int(digits),
            number <= Int(Int32.max)
        else { throw .invalidDatabase(String(path)) }
        return number
    }

    /// RFC 3986 percent-decoding; `+` stays a plus (this is not a form).
    static func percentDecoded(_ text: Substring) throws(RedisURLError) -> [UInt8] {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard bytes.count >= 2, let high = hexValue(bytes.popFirst()!), let low = hexValue(bytes.popFirst()!) else {
                throw .invalidPercentEncoding
            }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
