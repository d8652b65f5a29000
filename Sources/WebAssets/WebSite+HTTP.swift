import WebSocket

extension WebSite {
    /// The complete HTTP/1.1 response to `head`, or nil when its path is not one of `paths`.
    ///
    /// The contract with the gateway:
    /// - nil: the path is not the site's (the WebSocket endpoint, `/metrics`, a typo); the
    ///   caller goes on with its own routing and may answer with `notFound(for:)`.
    /// - For a site path: `GET` gets 200 with the file, or 304 Not Modified when an
    ///   `If-None-Match` field matches its entity tag (RFC 9110 §13.1.2); `HEAD` gets the same
    ///   status and header fields without content (RFC 9110 §9.3.2); any other method gets
    ///   405 with `Allow: GET, HEAD` (RFC 9110 §15.5.6).
    /// - The query is ignored when looking up the path; an absolute-form target
    ///   (`http://host/path`, RFC 9112 §3.2.2) is looked up by its path.
    /// - Every response carries `Connection: close` and the security fields: write it and
    ///   close the connection once it is flushed. Any request body is not read.
    ///
    /// `unixTime`, the current time in seconds since the Unix epoch, becomes the `Date`
    /// field (RFC 9110 §6.6.1; an origin server with a clock sends it); nil leaves it out.
    public func response(for head: HTTPRequestHead, unixTime: Int? = nil) -> [UInt8]? {
        guard let asset = asset(at: Self.resourcePath(of: head.target)) else { return nil }
        let includesBody: Bool
        switch head.method {
        case "GET": includesBody = true
        case "HEAD": includesBody = false
        default:
            return Self.assemble(
                status: "405 Method Not Allowed", unixTime: unixTime, fields: methodNotAllowedParts.fields,
                body: methodNotAllowedParts.body)
        }
        if EntityTagCondition.matchesAny(head.values("If-None-Match"), etag: asset.etag) {
            return Self.assemble(status: "304 Not Modified", unixTime: unixTime, fields: asset.notModifiedFields, body: [])
        }
        return Self.assemble(
            status: "200 OK", unixTime: unixTime, fields: asset.okFields, body: includesBody ? asset.body : [])
    }

    /// A 404 Not Found for a path that is neither the site's nor another endpoint's, in the
    /// site's style (plain text, security fields, `Connection: close`; no content for HEAD).
    public func notFound(for head: HTTPRequestHead, unixTime: Int? = nil) -> [UInt8] {
        Self.assemble(
            status: "404 Not Found", unixTime: unixTime, fields: notFoundParts.fields,
            body: head.method == "HEAD" ? [] : notFoundParts.body)
    }

    /// The path a request target names, for lookup: without query or fragment, and for an
    /// absolute-form target (`http://host/a?b`) without scheme and authority.
    static func resourcePath(of target: String) -> Substring {
        var path = Substring(target)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            path = path[..<end]
        }
        for scheme in ["http://", "https://"] where path.utf8.count >= scheme.utf8.count {
            let prefix = path.utf8.prefix(scheme.utf8.count)
            guard prefix.elementsEqual(scheme.utf8, by: { $0 | 0x20 == $1 | 0x20 }) else { continue }
            let authorityAndPath = path.dropFirst(scheme.count)
            guard let slash = authorityAndPath.firstIndex(of: "/") else { return "/" }
            return authorityAndPath[slash...]
        }
        return path
    }

    private static func assemble(status: String, unixTime: Int?, fields: [UInt8], body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + fields.count + body.count)
        out.append(contentsOf: "HTTP/1.1 \(status)\r\n".utf8)
        if let unixTime {
            out.append(contentsOf: "Date: \(HTTPDate.imfFixdate(unixTime: unixTime))\r\n".utf8)
        }
        out.append(contentsOf: fields)
        out.append(contentsOf: body)
        return out
    }
}
