@preconcurrency import Glibc
import Auth
import Reactor

/// The command-line front of both gateway executables: flags, the listening
/// socket (inherited from `machat` or bound here), then `Gateway.run`.
public enum GatewayCommand {
    /// Limit flags shared by both gateways; `machat` accepts and passes them on.
    public static let limitSpecs: [FlagSpec] = {
        let d = GatewayLimits()
        return [
            FlagSpec(
                "max-connections", "N", default: String(d.maxConnections),
                "connections per gateway process; more are refused with an error"),
            FlagSpec(
                "join-timeout", "MS", default: String(d.joinTimeoutMilliseconds),
                "close a connection that has not joined within this many milliseconds"),
            FlagSpec(
                "handshake-timeout", "MS", default: String(d.handshakeTimeoutMilliseconds),
                "websocket: the upgrade must complete within this many milliseconds"),
            FlagSpec("max-line", "BYTES", default: String(d.maxLineBytes), "longest line a client may send"),
            FlagSpec("max-name", "BYTES", default: String(d.maxNameBytes), "longest name"),
            FlagSpec("max-room", "BYTES", default: String(d.maxRoomBytes), "longest room name"),
            FlagSpec(
                "max-outbound", "BYTES", default: String(d.outboundBytesPerConnection),
                "unsent bytes to one client before it is disconnected as a slow consumer"),
            FlagSpec(
                "rate", "LINES", default: String(Int(d.linesPerSecond)),
                "lines per second one client may send (0: no limit); faster senders are not read until they slow down"),
            FlagSpec("burst", "LINES", default: String(Int(d.lineBurst)), "lines a client may send at once above the rate"),
            FlagSpec(
                "held-per-connection", "BYTES", default: String(d.heldBytesPerConnection),
                "lines held for one client while the router is away"),
            FlagSpec(
                "held-per-gateway", "BYTES", default: String(d.heldBytesPerGateway),
                "lines held for the whole gateway while the router is away"),
            FlagSpec(
                "drain-timeout", "MS", default: String(d.drainMilliseconds),
                "on SIGTERM, how long to wait for clients to take their last bytes"),
            FlagSpec(
                "auth-secret-file", "FILE",
                "require a join token (HS256 JWT) signed with a secret from FILE (one per line; the first signs, all verify)"),
            FlagSpec(
                "default-history", "LINES", default: String(d.defaultHistory),
                "lines of history sent on join to clients that did not ask for any (seed clients get scrollback)"),
        ] + clientAddressSpecs
    }()

    /// WebSocket-only flags; `machat` accepts and passes them on.
    public static let webSocketSpecs: [FlagSpec] = {
        let d = WebSocketOptions()
        return [
            FlagSpec("path", "PATH", default: d.path, "the chat endpoint's path"),
            FlagSpec(
                "origins", "LIST",
                "comma-separated browser origins allowed besides the Host's own (e.g. https://chat.example.com)"),
            FlagSpec(
                "echo-path", "PATH",
                "also serve a plain echo endpoint at PATH (for the Autobahn conformance suite); off by default"),
            FlagSpec(
                "ping-interval", "MS", default: String(d.pingIntervalMilliseconds),
                "ping idle clients this often; close those that miss a round"),
            FlagSpec("web", nil, default: "true", "serve the browser chat page at / (-web=false turns it off)"),
        ]
    }()

    /// Runs a gateway process; never returns.
    public static func main(webSocket: Bool) -> Never {
        Syscall.ignoreSIGPIPE()
        Syscall.keepFreedMemory()
        let program = webSocket ? "machat-ws-gateway" : "machat-tcp-gateway"
        Log.setProcess(webSocket ? "ws-gateway" : "tcp-gateway")
        let addressFlag = webSocket ? "ws" : "tcp"
        var specs = [
            FlagSpec(
                addressFlag, "ADDR",
                "bind this address itself (host:port) instead of using a socket inherited from machat (LISTEN_FDS)"),
            FlagSpec(
                "router", "PATH", default: RuntimeDirectory.defaultSocketPath(),
                "the router's Unix-domain socket (machat logs it at start-up)"),
        ]
        specs += limitSpecs
        if webSocket { specs += webSocketSpecs }
        let summary =
            webSocket
            ? "MaChat WebSocket gateway: RFC 6455 clients join rooms held by machat-router."
            : "MaChat TCP gateway: line-based clients join rooms held by machat-router."
        let flags = CommandLineFlags.parse(program: program, summary: summary, specs: specs)
        ProcessLifetime.dieWithParent(expectedParent: supervisorPID())

        var configuration = Gateway.Configuration(kind: .tcp, routerSocketPath: flags.string("router"))
        configuration.limits = limits(from: flags, program: program)
        configuration.proxyProtocol = proxyProtocolPolicy(from: flags, program: program, webSocket: webSocket)
        configuration.tokens = tokenVerifier(path: flags.string("auth-secret-file"))
        if webSocket {
            var options = WebSocketOptions()
            options.path = flags.string("path")
            options.allowedOrigins = flags.string("origins").split(separator: ",").map { String($0).trimmingSpaces() }.filter {
                !$0.isEmpty
            }
            let echo = flags.string("echo-path")
            options.echoPath = echo.isEmpty ? nil : echo
            options.pingIntervalMilliseconds = flags.int("ping-interval", program: program)
            options.servesWebPage = flags.bool("web")
            configuration.kind = .webSocket(options)
        }

        let listener: FileDescriptor
        let given = flags.string(addressFlag)
        if !given.isEmpty {
            do {
                let address = try SocketAddress.resolve(given, passive: true)[0]
                listener = try Socket.listenTCP(address)
                Log.info("listening", ["addr": try Socket.localAddress(listener)])
            } catch {
                Log.error("cannot listen", ["addr": given, "error": "\(error)"])
                exit(1)
            }
        } else if let inherited = inheritedListener() {
            listener = inherited
        } else {
            Log.error("no listening socket: pass -\(addressFlag) ADDR, or run under machat (LISTEN_FDS)")
            exit(2)
        }
        do {
            let gateway = try Gateway(configuration: configuration)
            try gateway.run(listenerFD: listener)
        } catch {
            Log.error("gateway failed", ["error": error])
            exit(1)
        }
        exit(0)
    }

    static func limits(from flags: CommandLineFlags, program: String) -> GatewayLimits {
        var limits = GatewayLimits()
        limits.maxConnections = flags.int("max-connections", program: program)
        limits.joinTimeoutMilliseconds = flags.int("join-timeout", program: program)
        limits.handshakeTimeoutMilliseconds = flags.int("handshake-timeout", program: program)
        limits.maxLineBytes = flags.int("max-line", program: program)
        limits.maxNameBytes = flags.int("max-name", program: program)
        limits.maxRoomBytes = flags.int("max-room", program: program)
        limits.outboundBytesPerConnection = flags.int("max-outbound", program: program)
        limits.linesPerSecond = Double(flags.int("rate", program: program))
        limits.lineBurst = Double(flags.int("burst", program: program))
        limits.heldBytesPerConnection = flags.int("held-per-connection", program: program)
        limits.heldBytesPerGateway = flags.int("held-per-gateway", program: program)
        limits.drainMilliseconds = flags.int("drain-timeout", program: program)
        limits.defaultHistory = flags.int("default-history", program: program)
        addressLimits(from: flags, program: program, into: &limits)
        if limits.defaultHistory < 0 || limits.defaultHistory > JoinRequest.maxHistory {
            Log.error("-default-history must be from 0 to \(JoinRequest.maxHistory)")
            exit(2)
        }
        return limits
    }

    /// The verifier for `-auth-secret-file`, nil without it; an unusable file
    /// is reported and the program exits 2.
    public static func tokenVerifier(path: String) -> JWTVerifier? {
        guard !path.isEmpty else { return nil }
        do {
            let file = try SecretFile.load(path: path)
            for warning in file.warnings { Log.warn(warning) }
            return JWTVerifier(secrets: file.secrets)
        } catch {
            Log.error("cannot use -auth-secret-file", ["path": path, "error": "\(error)"])
            exit(2)
        }
    }

    /// The supervisor's pid, passed in the environment, for the parent-death check.
    public static func supervisorPID() -> pid_t? {
        guard let raw = getenv("MACHAT_SUPERVISOR_PID"), let pid = pid_t(String(cString: raw)) else { return nil }
        return pid
    }

    /// The listening socket passed as descriptor 3 (sd_listen_fds(3)'s
    /// convention: LISTEN_FDS=1; LISTEN_PID, when set, must be ours).
    static func inheritedListener() -> FileDescriptor? {
        guard let count = getenv("LISTEN_FDS"), Int(String(cString: count)) ?? 0 >= 1 else { return nil }
        if let pid = getenv("LISTEN_PID"), let value = pid_t(String(cString: pid)), value != getpid() { return nil }
        let fd = FileDescriptor(rawValue: 3)
        try? fd.setCloseOnExec(true)
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDNAMES")
        return fd
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
