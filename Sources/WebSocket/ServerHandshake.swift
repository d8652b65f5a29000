/// The server side of the WebSocket opening handshake (RFC 6455 §4.2).
///
/// It checks only what RFC 6455 requires of every upgrade; the gateway decides its own
/// policy (path, `Origin`, plain GETs) before calling `validate`.
public enum ServerHandshake {
    /// Checks an upgrade request and returns the `Sec-WebSocket-Accept` value to answer with.
    ///
    /// Checks, in order: GET (405), HTTP/1.1 or later (400), `Host` present (400),
    /// `Upgrade: websocket` and `Connection: upgrade` tokens (400),
    /// `Sec-WebSocket-Version: 13` (426), and a single `Sec-WebSocket-Key` that is base64
    /// of 16 bytes (400).
    public static func validate(_ head: HTTPRequestHead) -> Result<String, HandshakeError> {
        guard head.method == "GET" else { return .failure(.methodNotAllowed) }
        guard head.version >= .http1_1 else { return .failure(.httpVersionTooOld) }
        guard let host = head.value("Host"), !host.isEmpty else { return .failure(.missingHost) }
        // RFC 6455 §4.2.1 items 3 and 4: both fields are token lists, matched case-insensitively.
        guard head.hasToken("websocket", in: "Upgrade"), head.hasToken("upgrade", in: "Connection") else {
            return .failure(.notAnUpgrade)
        }
        // RFC 6455 §4.2.2: any version other than 13 gets 426 and the version we speak.
        guard head.values("Sec-WebSocket-Version") == ["13"] else { return .failure(.unsupportedVersion) }
        // RFC 6455 §4.1 and §11.3.1: exactly one key, the base64 encoding of a 16-byte nonce.
        let keys = head.values("Sec-WebSocket-Key")
        guard keys.count == 1, let nonce = Base64.decode(keys[0]), nonce.count == 16 else {
            return .failure(.invalidKey)
        }
        return .success(WebSocketAccept.value(forKey: keys[0]))
    }

    /// The exact `101 Switching Protocols` response that completes the handshake.
    public static func switchingProtocols(accept: String) -> [UInt8] {
        Array(
            ("HTTP/1.1 101 Switching Protocols\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(accept)\r\n\r\n").utf8)
    }
}
