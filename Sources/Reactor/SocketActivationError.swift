/// Sockets systemd passed that `machat` cannot use.
public enum SocketActivationError: Error, CustomStringConvertible, Sendable {
    /// LISTEN_* variables that do not follow sd_listen_fds(3).
    case malformed(String)
    /// A passed descriptor that is not a listening stream socket.
    case notAListeningSocket(name: String, descriptor: CInt)
    case system(SystemError)

    public var description: String {
        switch self {
        case .malformed(let why):
            return "socket activation: \(why)"
        case .notAListeningSocket(let name, let descriptor):
            return
                "socket activation: descriptor \(descriptor) (\"\(name)\") is not a listening stream socket; use ListenStream= with Accept=no"
        case .system(let error):
            return "socket activation: \(error)"
        }
    }
}
