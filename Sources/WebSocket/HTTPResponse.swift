/// Builds the small, complete HTTP/1.1 responses a WebSocket gateway sends before an
/// upgrade: errors (400, 403, 404, 426, 431, ...) with a plain-text body.
public enum HTTPResponse {
    /// Returns a complete response: status line, `Content-Type: text/plain; charset=utf-8`,
    /// `Content-Length`, `Connection: close`, then `extraHeaders` in order, a blank line and `body`.
    ///
    /// `reason` is the reason phrase of the status line, such as `Bad Request`.
    public static func bytes(
        status: Int, reason: String, extraHeaders: [(String, String)] = [], body: String
    ) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Length: \(bodyBytes.count)\r\n"
        head += "Connection: close\r\n"
        for (name, value) in extraHeaders {
            head += "\(name): \(value)\r\n"
        }
        head += "\r\n"
        var out = Array(head.utf8)
        out.append(contentsOf: bodyBytes)
        return out
    }

    /// The standard reason phrase for the statuses this server uses (RFC 9110 §15, RFC 6585).
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 426: return "Upgrade Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Error"
        }
    }
}
