// chatwebsocketclient: the example WebSocket client. Joins a room, prints what
// arrives, sends each line typed on stdin as a text message.
@preconcurrency import Glibc
import ChatClientKit
import Reactor
import WebSocket

Syscall.ignoreSIGPIPE()
let flags = CommandLineFlags.parse(
    program: "chatwebsocketclient",
    summary: "MaChat example WebSocket client: prints every line of the room, sends every line of stdin.",
    specs: [
        FlagSpec("client", "NAME", default: "User\(Int.random(in: 0..<1000))", "your name in the room"),
        FlagSpec("room", "ROOM", default: "lounge", "the room to join"),
        FlagSpec("origin", "URL", default: "http://localhost:8099/", "the Origin header to send (empty: none)"),
        FlagSpec(
            "address", "URL", default: "ws://localhost:8099/mychat", "ws://host:port/path, or host:port for the default path"),
    ])

func fail(_ text: String) -> Never {
    TerminalRelay.note("chatwebsocketclient: \(text)")
    exit(1)
}

guard let target = WebSocketURL(flags.string("address")) else {
    fail("invalid -address \"\(flags.string("address"))\"; use ws://host:port/path")
}
let socket: FileDescriptor
do {
    socket = try Socket.connectTCP(try SocketAddress.resolve(target.hostPort)[0])
} catch {
    fail("cannot connect to \(target.hostPort): \(error)")
}

var key = [UInt8](repeating: 0, count: 16)
var generator = SystemRandomNumberGenerator()
for index in key.indices { key[index] = generator.next() }
let origin = flags.string("origin")
var handshake = ClientHandshake(host: target.hostPort, path: target.path, origin: origin.isEmpty ? nil : origin, key: key)
guard TerminalRelay.writeAll(socket, handshake.requestBytes()) else { fail("connection failed during the handshake") }

var machine = WebSocketStateMachine(role: .client)
var upgraded = false
/// Lines read from stdin before the upgrade finished; sent right after the join.
var early: [[UInt8]] = []
var inputEnded = false
var status: Int32 = 0
var relay = TerminalRelay(socket: socket)

/// Feeds frame bytes to the machine and acts on the result; false to stop.
@MainActor func process(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var keepGoing = true
    for action in machine.receive(bytes) {
        switch action {
        case .message(_, let payload):
            payload.withUnsafeBytes { TerminalRelay.printRaw($0) }
        case .send(let frame):
            _ = TerminalRelay.writeAll(socket, frame)
        case .pongReceived:
            break
        case .closeConnection:
            if let code = machine.peerCloseCode {
                TerminalRelay.note("chatwebsocketclient: server closed the connection (code \(code))")
            }
            keepGoing = false
        }
    }
    return keepGoing
}

relay.run { event in
    switch event {
    case .received(let bytes):
        if upgraded { return process(bytes) }
        switch handshake.receive(bytes) {
        case .needMore:
            return true
        case .failure(let error):
            TerminalRelay.note("chatwebsocketclient: handshake refused: \(error.reason)")
            status = 1
            return false
        case .upgraded(_, let leftover):
            upgraded = true
            var out = machine.encodeText(JoinMessage.json(name: flags.string("client"), room: flags.string("room")))
            for line in early { out += machine.encodeText(line) }
            early = []
            if inputEnded { out += machine.initiateClose(code: WebSocketCloseCode.normalClosure) }
            guard TerminalRelay.writeAll(socket, out) else { return false }
            return leftover.withUnsafeBytes { process($0) }
        }
    case .line(let line):
        // The join must go first: keep lines typed before the upgrade finished.
        guard upgraded else {
            early.append(line)
            return true
        }
        guard machine.canSendData else { return true }
        if TerminalRelay.writeAll(socket, machine.encodeText(line)) { return true }
        TerminalRelay.note("chatwebsocketclient: connection lost")
        status = 1
        return false
    case .endOfInput:
        guard upgraded else {
            inputEnded = true
            return true
        }
        _ = TerminalRelay.writeAll(socket, machine.initiateClose(code: WebSocketCloseCode.normalClosure))
        return true
    case .closed(let why):
        if machine.state != .closed { TerminalRelay.note("chatwebsocketclient: \(why)") }
        return false
    }
}
socket.close()
exit(status)
