// chattcpclient: the example TCP client. Joins a room, prints what arrives,
// sends each line typed on stdin.
@preconcurrency import Glibc
import ChatClientKit
import Reactor

Syscall.ignoreSIGPIPE()
let flags = CommandLineFlags.parse(
    program: "chattcpclient",
    summary: "MaChat example TCP client: prints every line of the room, sends every line of stdin.",
    specs: [
        FlagSpec("client", "NAME", default: "User\(Int.random(in: 0..<1000))", "your name in the room"),
        FlagSpec("room", "ROOM", default: "lounge", "the room to join"),
        FlagSpec("address", "ADDR", default: "localhost:8989", "the server's TCP address (host:port)"),
    ])

let socket: FileDescriptor
do {
    socket = try Socket.connectTCP(try SocketAddress.resolve(flags.string("address"))[0])
} catch {
    TerminalRelay.note("chattcpclient: cannot connect to \(flags.string("address")): \(error)")
    exit(1)
}
let join = JoinMessage.json(name: flags.string("client"), room: flags.string("room")) + "\n"
guard TerminalRelay.writeAll(socket, Array(join.utf8)) else {
    TerminalRelay.note("chattcpclient: connection failed while joining")
    exit(1)
}
var relay = TerminalRelay(socket: socket)
var status: Int32 = 0
relay.run { event in
    switch event {
    case .line(let line):
        if TerminalRelay.writeAll(socket, line + [UInt8(ascii: "\n")]) { return true }
        TerminalRelay.note("chattcpclient: connection lost")
        status = 1
        return false
    case .endOfInput:
        // Let the server send what is still on its way, then it closes.
        shutdown(socket.rawValue, Int32(SHUT_WR))
        return true
    case .received(let bytes):
        TerminalRelay.printRaw(bytes)
        return true
    case .closed(let why):
        TerminalRelay.note("chattcpclient: \(why)")
        return false
    }
}
socket.close()
exit(status)
