import WebSocket

/// One file of the chat page as the site serves it: its URL path, media type, caching
/// policy, strong entity tag and bytes, with the response header fields built once.
public struct WebAsset: Sendable {
    /// How long clients and caches may keep the file without asking again.
    public enum Caching: Sendable {
        /// The page itself: always revalidate (RFC 9111 §5.2.2.4), answered cheaply with 304.
        case revalidate
        /// A file whose path carries its content hash: it never changes, so keep it a year
        /// (RFC 9111 §5.2.2.1) and do not revalidate on reload (RFC 8246).
        case immutable

        var headerValue: String {
            switch self {
            case .revalidate: return "no-cache"
            case .immutable: return "public, max-age=31536000, immutable"
            }
        }
    }

    /// The path the file is served at, such as `/` or `/app.3f2a9c0d1e4b5a67.js`.
    public let path: String
    /// The `Content-Type` value, such as `text/javascript; charset=utf-8`.
    public let contentType: String
    /// The caching policy.
    public let caching: Caching
    /// The strong entity tag (RFC 9110 §8.8.3), with its double quotes: a hash of `body`.
    public let etag: String
    /// The bytes served for GET.
    public let body: [UInt8]

    /// The header field lines of a 200 response after the status line and Date, ending in CRLF CRLF.
    let okFields: [UInt8]
    /// The header field lines of a 304 response (RFC 9110 §15.4.5: no content metadata).
    let notModifiedFields: [UInt8]

    /// Creates an asset; `securityFields` are appended to every response for it.
    init(path: String, contentType: String, caching: Caching, etag: String, body: [UInt8], securityFields: String) {
        self.path = path
        self.contentType = contentType
        self.caching = caching
        self.etag = etag
        self.body = body
        let validators = "ETag: \(etag)\r\nCache-Control: \(caching.headerValue)\r\n"
        okFields = Array(
            ("Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" + validators + securityFields
                + "Connection: close\r\n\r\n").utf8)
        notModifiedFields = Array((validators + securityFields + "Connection: close\r\n\r\n").utf8)
    }

    /// The media type for a file name in web/, by its extension; UTF-8 for text (RFC 9110 §8.3).
    static func contentType(forFileName name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }  // RFC 9239 §6
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        return "application/octet-stream"
    }

    /// The first 16 hexadecimal digits of the SHA-1 of `bytes`: 64 bits, plenty to tell
    /// versions of a file apart (this is a fingerprint, not a security measure).
    static func fingerprint(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(16)
        for byte in SHA1.hash(bytes).prefix(8) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
