import WebSocket

/// The browser chat page the WebSocket gateway serves at `/`, as a pure static HTTP
/// responder: give it a parsed request head, write back the bytes it returns, close.
///
/// The page is `index.html` at `/` (revalidated on every load) and the other files of
/// web/ at content-hashed paths such as `/app.3f2a9c0d1e4b5a67.js` (cached for a year,
/// immutable); `index.html` names them as `"/app.js"` and the site rewrites those
/// references to the hashed paths when it is created. Hashes and response headers are
/// computed once, in `init`; answering a request does no I/O and keeps no state.
public struct WebSite: Sendable {
    /// The Content-Security-Policy of every response: only this origin's script, style,
    /// images and connections (`'self'` covers same-origin `ws:`/`wss:`, CSP Level 3
    /// §6.7.2.8), no inline script or style, no plugins, no framing, no form targets.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// Header fields every response of the site carries, each line ending in CRLF.
    static let securityFields =
        "Content-Security-Policy: \(contentSecurityPolicy)\r\n"
        + "X-Content-Type-Options: nosniff\r\n"
        + "Referrer-Policy: no-referrer\r\n"
        + "Cross-Origin-Opener-Policy: same-origin\r\n"
        + "Cross-Origin-Resource-Policy: same-origin\r\n"

    /// The methods the site answers (RFC 9110 §9.3.1, §9.3.2), as the `Allow` field lists them.
    public static let allowedMethods = "GET, HEAD"

    /// What the site serves: the page at `/` first, then the hashed assets.
    public let assets: [WebAsset]

    /// The header fields and content of the 405 and 404 responses, built once.
    let methodNotAllowedParts: (fields: [UInt8], body: [UInt8])
    let notFoundParts: (fields: [UInt8], body: [UInt8])

    /// The site built from the files embedded from web/ (see web/embed.sh).
    public init() {
        self.init(files: EmbeddedAssets.files.map { (name: $0.name, bytes: Array($0.text.utf8)) })
    }

    /// A site of `files` (name in web/ and bytes): `index.html` becomes `/`, every other
    /// file `/<stem>.<hash>.<extension>`, and `"/<name>"` in `index.html` is rewritten to match.
    init(files: [(name: String, bytes: [UInt8])]) {
        var assets: [WebAsset] = []
        var renames: [(from: [UInt8], to: [UInt8])] = []
        for file in files where file.name != "index.html" {
            let hash = WebAsset.fingerprint(file.bytes)
            let path = "/" + Self.versionedName(file.name, hash: hash)
            assets.append(
                WebAsset(
                    path: path, contentType: WebAsset.contentType(forFileName: file.name), caching: .immutable,
                    etag: "\"\(hash)\"", body: file.bytes, securityFields: Self.securityFields))
            renames.append((Array("\"/\(file.name)\"".utf8), Array("\"\(path)\"".utf8)))
        }
        if let index = files.first(where: { $0.name == "index.html" }) {
            let page = Self.replacing(renames, in: index.bytes)
            let pageAsset = WebAsset(
                path: "/", contentType: WebAsset.contentType(forFileName: index.name), caching: .revalidate,
                etag: "\"\(WebAsset.fingerprint(page))\"", body: page, securityFields: Self.securityFields)
            assets.insert(pageAsset, at: 0)
        }
        self.assets = assets
        methodNotAllowedParts = Self.plainFields(
            body: "error: only GET and HEAD are allowed here\n", extra: "Allow: \(Self.allowedMethods)\r\n")
        notFoundParts = Self.plainFields(body: "error: nothing here; the chat page is at /\n", extra: "")
    }

    /// The paths the site answers, `/` first.
    public var paths: [String] { assets.map(\.path) }

    /// The asset served at `path` (no query), or nil.
    public func asset(at path: Substring) -> WebAsset? {
        assets.first { $0.path.utf8.elementsEqual(path.utf8) }
    }

    /// `app.js` with hash `h` becomes `app.h.js`: the hash goes before the last extension.
    static func versionedName(_ name: String, hash: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "\(name).\(hash)" }
        return "\(name[..<dot]).\(hash)\(name[dot...])"
    }

    /// `bytes` with every occurrence of each `from` replaced by its `to`, scanning left to right.
    static func replacing(_ renames: [(from: [UInt8], to: [UInt8])], in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64 * renames.count)
        var index = 0
        scan: while index < bytes.count {
            for rename in renames where !rename.from.isEmpty && bytes[index...].starts(with: rename.from) {
                out.append(contentsOf: rename.to)
                index += rename.from.count
                continue scan
            }
            out.append(bytes[index])
            index += 1
        }
        return out
    }

    private static func plainFields(body: String, extra: String) -> (fields: [UInt8], body: [UInt8]) {
        let bodyBytes = Array(body.utf8)
        let fields =
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(bodyBytes.count)\r\n" + extra
            + "Cache-Control: no-store\r\n" + securityFields + "Connection: close\r\n\r\n"
        return (Array(fields.utf8), bodyBytes)
    }
}
