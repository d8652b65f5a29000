/// The version from an HTTP/1.x start line, such as `HTTP/1.1`.
public struct HTTPVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major version digit.
    public var major: Int
    /// The minor version digit.
    public var minor: Int

    /// HTTP/1.1, the only version that can carry a WebSocket upgrade (RFC 6455 §4.1).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// Creates a version from its two digits.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `HTTP/<digit>.<digit>` (RFC 9112 §2.3), or returns nil.
    init?(_ bytes: ArraySlice<UInt8>) {
        let expected = Array("HTTP/".utf8)
        guard bytes.count == 8, bytes.starts(with: expected) else { return nil }
        let start = bytes.startIndex
        let majorByte = bytes[start + 5]
        let dot = bytes[start + 6]
        let minorByte = bytes[start + 7]
        guard isDigit(majorByte), dot == UInt8(ascii: "."), isDigit(minorByte) else { return nil }
        self.init(major: Int(majorByte - UInt8(ascii: "0")), minor: Int(minorByte - UInt8(ascii: "0")))
    }

    public static func < (lhs: HTTPVersion, rhs: HTTPVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "HTTP/\(major).\(minor)" }
}

private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}
