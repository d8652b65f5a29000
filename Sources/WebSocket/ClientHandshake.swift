/// What `ClientHandshake.receive` found in the server's response.
public enum ClientHandshakeResult: Sendable {
    /// The response head is not complete yet; feed more bytes.
    case needMore
    /// The server accepted; `leftover` holds the first bytes of the frame stream.
    case upgraded(HTTPResponseHead, leftover: [UInt8])
    /// The server refused or answered incorrectly; close the connection.
    case failure(ClientHandshakeError)
}

/// The client side of the WebSocket opening handshake (RFC 6455 §4.1): builds the
/// upgrade request and checks the server's response incrementally.
public struct ClientHandshake: Sendable {
    /// The `Host` header value, including the port when it is not the default.
    public let host: String
    /// The request target, such as `/mychat`.
    public let path: String
    /// The `Origin` header value, or nil to send none.
    public let origin: String?
    /// The `Sec-WebSocket-Key` header value: base64 of the caller's 16 random bytes.
    public let key: String
    /// The `Sec-WebSocket-Accept` value a genuine server must send back.
    public let expectedAccept: String

    private var scanner: HTTPHeadScanner
    private var isFinished = false

    /// Creates a handshake; `key` must be 16 bytes from a good random source (RFC 6455 §4.1).
    public init(host: String, path: String, origin: String?, key: [UInt8], maxHeadBytes: Int = 8192) {
        precondition(key.count == 16, "a websocket key is 16 random bytes")
        self.host = host
        self.path = path
        self.origin = origin
        self.key = Base64.encode(key)
        self.expectedAccept = WebSocketAccept.value(forKey: self.key)
        scanner = HTTPHeadScanner(maxHeadBytes: maxHeadBytes)
    }

    /// The upgrade request to send.
    public func requestBytes() -> [UInt8] {
        var text = "GET \(path) HTTP/1.1\r\n"
        text += "Host: \(host)\r\n"
        text += "Upgrade: websocket\r\n"
        text += "Connection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\n"
        text += "Sec-WebSocket-Version: 13\r\n"
        if let origin {
            text += "Origin: \(origin)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Consumes response bytes as they arrive; after a final result it returns
    /// `.failure(.malformedResponse(.alreadyComplete))`.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> ClientHandshakeResult {
        guard !isFinished else { return .failure(.malformedResponse(.alreadyComplete)) }
        switch scanner.feed(bytes) {
        case .needMore:
            return .needMore
        case .tooLarge:
            isFinished = true
            return .failure(.malformedResponse(.headTooLarge))
        case .complete(let lines, let leftover):
            isFinished = true
            switch HTTPResponseHead.parse(scanner.buffer, lines: lines) {
            case .failure(let error):
                return .failure(.malformedResponse(error))
            case .success(let head):
                if let error = check(head) {
                    return .failure(error)
                }
                return .upgraded(head, leftover: leftover)
            }
        }
    }

    /// RFC 6455 §4.1, the client's checks of the server's handshake, items 1–4.
    private func check(_ head: HTTPResponseHead) -> ClientHandshakeError? {
        guard head.status == 101 else { return .unexpectedStatus(head.status, head.reason) }
        guard head.hasToken("websocket", in: "Upgrade"), head.hasToken("upgrade", in: "Connection") else {
            return .notAnUpgrade
        }
        // The accept value is compared exactly: it is base64, which is case-sensitive.
        guard head.value("Sec-WebSocket-Accept") == expectedAccept else { return .acceptMismatch }
        return nil
    }
}
