/// Computes the `Sec-WebSocket-Accept` value that proves a server understood the
/// opening handshake (RFC 6455 §4.2.2, step 5.4).
public enum WebSocketAccept {
    /// The fixed GUID that RFC 6455 §1.3 appends to the client's key.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Returns base64(SHA-1(key + GUID)) for the client's `Sec-WebSocket-Key` as sent (not decoded).
    public static func value(forKey key: String) -> String {
        var input = Array(key.utf8)
        input.append(contentsOf: guid.utf8)
        return Base64.encode(SHA1.hash(input))
    }
}
