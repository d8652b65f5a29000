/// Which end of the connection a `WebSocketStateMachine` plays; it decides masking
/// (RFC 6455 §5.1: clients mask every frame, servers never do).
public enum WebSocketRole: Sendable, Hashable {
    /// Requires masked input and sends unmasked frames.
    case server
    /// Requires unmasked input and masks every frame it sends.
    case client
}
