/// The commands a new connection sends before it is ready, pipelined in one
/// write, and the check of each reply: AUTH, SELECT, CLIENT SETNAME, one
/// SCRIPT LOAD per known script, then PING. Ready when PING answers, so a
/// connection is never reported ready to a server that has not answered.
///
/// Protocol: RESP2 (no HELLO). Every Redis since 2.6 and every Redis-compatible
/// server speaks it, our scripts return integers, bulks and arrays, which
/// RESP2 carries as well as RESP3 does, and pub/sub runs on its own
/// connection, so RESP3's push type would buy nothing here.
struct RedisHandshake {
    enum Step: Equatable {
        case auth(user: [UInt8]?, password: [UInt8])
        case select(Int)
        case setName([UInt8])
        case loadScript(RedisScript)
        case ping
    }

    enum Outcome: Equatable {
        /// More replies to come.
        case pending
        /// A step that need not stop the connection was refused (a script that
        /// does not compile, a client name the server rejects); log and go on.
        case warning(String)
        case ready
        case failed(RedisError)
    }

    let steps: [Step]
    private var nextStep = 0

    init(steps: [Step]) {
        precondition(steps.last == .ping, "the handshake ends with PING")
        self.steps = steps
    }

    /// The handshake for `url`: AUTH if it has a password, SELECT if it names
    /// a database other than 0 (and `selectsDatabase`), CLIENT SETNAME, a
    /// SCRIPT LOAD per script, then PING.
    init(url: RedisURL, clientName: [UInt8]?, selectsDatabase: Bool, scripts: [RedisScript]) {
        var steps: [Step] = []
        if let password = url.password { steps.append(.auth(user: url.user, password: password)) }
        if selectsDatabase && url.database != 0 { steps.append(.select(url.database)) }
        if let clientName { steps.append(.setName(clientName)) }
        for script in scripts { steps.append(.loadScript(script)) }
        steps.append(.ping)
        self.init(steps: steps)
    }

    var isComplete: Bool { nextStep == steps.count }

    /// Appends every step's command.
    func encode(into buffer: inout [UInt8]) {
        for step in steps {
            switch step {
            case .auth(let user?, let password): RESPEncoder.encodeCommand("AUTH", user, password, into: &buffer)
            case .auth(nil, let password): RESPEncoder.encodeCommand("AUTH", password, into: &buffer)
            case .select(let database): RESPEncoder.encodeCommand("SELECT", database, into: &buffer)
            case .setName(let name): RESPEncoder.encodeCommand("CLIENT", "SETNAME", name, into: &buffer)
            case .loadScript(let script): RESPEncoder.encodeCommand("SCRIPT", "LOAD", script.source, into: &buffer)
            case .ping: RESPEncoder.encodeCommand("PING", into: &buffer)
            }
        }
    }

    /// Checks the reply to the next step.
    mutating func receive(_ reply: RESPValue) -> Outcome {
        guard nextStep < steps.count else { return .failed(.unexpectedReply("reply after the handshake finished: \(reply)")) }
        let step = steps[nextStep]
        nextStep += 1
        if let message = reply.errorMessage {
            return refused(step, String(decoding: message, as: UTF8.self))
        }
        switch step {
        case .auth, .select, .setName:
            guard reply == .simpleString(Array("OK".utf8)) else {
                return .failed(.unexpectedReply("\(step.name) answered \(reply)"))
            }
            return .pending
        case .loadScript(let script):
            guard reply == .bulkString(script.sha1) else {
                return .failed(.unexpectedReply("SCRIPT LOAD of \(script) answered \(reply), not its SHA-1"))
            }
            return .pending
        case .ping:
            guard reply == .simpleString(Array("PONG".utf8)) else { return .failed(.unexpectedReply("PING answered \(reply)")) }
            return .ready
        }
    }

    /// What an error reply to `step` means for the connection.
    private func refused(_ step: Step, _ message: String) -> Outcome {
        // NOAUTH on any step: the server wants a password we did not send.
        if message.hasPrefix("NOAUTH") {
            return .failed(
                .authenticationFailed("\(message) (the server requires a password; use redis://:PASSWORD@HOST:PORT)"))
        }
        switch step {
        case .auth:
            return .failed(.authenticationFailed("\(message) (check the user and password in the Redis URL)"))
        case .select(let database):
            return .failed(.handshakeFailed("SELECT \(database) refused: \(message)"))
        case .setName:
            return .warning("CLIENT SETNAME refused: \(message)")
        case .loadScript(let script):
            return .warning("SCRIPT LOAD of \(script) refused: \(message)")
        case .ping:
            return .failed(.handshakeFailed("PING refused: \(message)"))
        }
    }
}

extension RedisHandshake.Step {
    var name: String {
        switch self {
        case .auth: return "AUTH"
        case .select: return "SELECT"
        case .setName: return "CLIENT SETNAME"
        case .loadScript: return "SCRIPT LOAD"
        case .ping: return "PING"
        }
    }
}
