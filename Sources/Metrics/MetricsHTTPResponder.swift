import WebSocket

/// The answers of the metrics endpoint, without I/O: `GET`/`HEAD /metrics`
/// (the exposition) and `/healthz` (`200 ok` or `503` with the problems),
/// 405 for other methods there, 404 elsewhere. Every answer closes the
/// connection (one request per connection).
public enum MetricsHTTPResponder {
    /// The response to `head`; `exposition` and `health` are asked only when needed.
    public static func response(
        to head: HTTPRequestHead, exposition: () -> [UInt8], health: () -> HealthReport
    ) -> [UInt8] {
        let path = head.path
        guard path == "/metrics" || path == "/healthz" else {
            return bytes(
                status: 404, contentType: plainText, body: Array("error: no such page; try /metrics or /healthz\n".utf8),
                includeBody: head.method != "HEAD")
        }
        guard head.method == "GET" || head.method == "HEAD" else {
            return bytes(
                status: 405, contentType: plainText, body: Array("error: only GET and HEAD are supported here\n".utf8),
                extraHeaders: [("Allow", "GET, HEAD")])
        }
        let includeBody = head.method == "GET"
        if path == "/metrics" {
            return bytes(status: 200, contentType: MetricsExposition.contentType, body: exposition(), includeBody: includeBody)
        }
        let report = health()
        return bytes(
            status: report.isHealthy ? 200 : 503, contentType: plainText, body: Array(report.body.utf8),
            includeBody: includeBody)
    }

    static let plainText = "text/plain; charset=utf-8"

    /// A complete HTTP/1.1 response (RFC 9112 §4, §6): a HEAD answer has the
    /// GET answer's headers, Content-Length included, and no body (RFC 9110 §9.3.2).
    static func bytes(
        status: Int, contentType: String, body: [UInt8], includeBody: Bool = true, extraHeaders: [(String, String)] = []
    ) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(for: status))\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += "Cache-Control: no-store\r\n"
        head += "Connection: close\r\n"
        for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var out = Array(head.utf8)
        if includeBody { out += body }
        return out
    }
}
