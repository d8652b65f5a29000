@preconcurrency import Glibc
import ChatClientKit
import Reactor
import WebSocket

/// One chat member of the benchmark: a connection that joins a room over TCP
/// or WebSocket, checks every delivery it receives, and, if it is one of the
/// room's senders, sends data lines when the run asks it to.
final class Member: StreamConnectionDelegate {
    /// Where the member is in its life.
    enum Phase {
        case idle
        case connecting
        /// WebSocket: the upgrade request is sent, the response not yet read.
        case upgrading
        /// The join is sent; deliveries are being checked.
        case joined
        case closed
    }

    let room: Int
    let slot: Int
    let isWebSocket: Bool
    let isSender: Bool
    let name: String
    unowned let run: BenchRun

    private(set) var phase = Phase.idle
    private var connection: StreamConnection?
    private var handshake: ClientHandshake?
    private var lines = LineSplitter()
    private var frames = ServerFrameReader()
    private(set) var ledger: DeliveryLedger
    /// Own messages sent and not yet echoed back (throughput window).
    private var inFlight = 0
    /// Data messages sent; also the next sequence number.
    private(set) var sent = 0
    /// xorshift32 state for WebSocket masking keys, seeded from the system's
    /// secure generator: a bench client needs keys the network cannot guess
    /// only nominally (RFC 6455 §5.3), and a getrandom call per frame would
    /// cost more than the rest of the send.
    private var maskState: UInt32

    init(room: Int, slot: Int, run: BenchRun) {
        let config = run.config
        self.room = room
        self.slot = slot
        self.run = run
        isWebSocket = config.usesWebSocket(slot: slot)
        isSender = slot < config.sendersPerRoom
        name = "c\(room + config.roomOffset)_\(slot)"
        let rules = DeliveryLedger.Rules(
            roomNumber: UInt64(room + config.roomOffset), ownSlot: UInt64(slot),
            sendersPerRoom: UInt64(config.sendersPerRoom), size: config.size)
        ledger = DeliveryLedger(rules: rules, histogram: run.histogram)
        ledger.readsJSON = config.jsonFormat
        var generator = SystemRandomNumberGenerator()
        maskState = generator.next() | 1
    }

    var roomName: String { "room\(room + run.config.roomOffset)" }

    /// The join; JSON members ask for the JSON format.
    private var joinText: String {
        run.config.jsonFormat
            ? JoinMessage.json(name: name, room: roomName, format: "json") : JoinMessage.json(name: name, room: roomName)
    }
    var isJoined: Bool { phase == .joined }
    /// Joined at some point: counts as a live member of its room for `expected`.
    private(set) var isJoinedOrWas = false

    // MARK: Connecting

    /// Starts the non-blocking connect; the run hears `memberSettled` once the
    /// join is sent or the attempt failed.
    func connect(to target: TargetAddress, source: sockaddr_in?) {
        phase = .connecting
        PendingConnect.start(loop: run.loop, to: target.socketAddress, from: source, timeoutMilliseconds: 10_000) {
            [self] result in
            switch result {
            case .success(let fd): connected(fd, target: target)
            case .failure(let error): fail("\(error)")
            }
        }
    }

    private func connected(_ fd: FileDescriptor, target: TargetAddress) {
        let connection: StreamConnection
        do {
            connection = try StreamConnection(fd: fd, loop: run.loop, outboundLimit: 16 << 20)
        } catch {
            fd.close()
            return fail("register: \(error)")
        }
        self.connection = connection
        connection.delegate = self
        let join = joinText
        if isWebSocket {
            var key = [UInt8](repeating: 0, count: 16)
            var generator = SystemRandomNumberGenerator()
            for index in key.indices { key[index] = generator.next() }
            let handshake = ClientHandshake(host: target.text, path: run.config.path, origin: nil, key: key)
            connection.write(handshake.requestBytes())
            self.handshake = handshake
            phase = .upgrading
        } else {
            connection.write(Array(join.utf8))
            phase = .joined
            isJoinedOrWas = true
            run.memberSettled(self, joined: true)
        }
    }

    private func upgrade(_ bytes: UnsafeRawBufferPointer) {
        guard var handshake else { return }
        let result = handshake.receive(bytes)
        self.handshake = handshake
        switch result {
        case .needMore:
            return
        case .failure(let error):
            fail("websocket upgrade: \(error)")
            connection?.close(.local("upgrade refused"))
        case .upgraded(_, let leftover):
            self.handshake = nil
            var machine = WebSocketStateMachine(role: .client)
            connection?.write(machine.encodeText(joinText))
            phase = .joined
            isJoinedOrWas = true
            run.memberSettled(self, joined: true)
            if !leftover.isEmpty { leftover.withUnsafeBytes { receive($0) } }
        }
    }

    /// Records a failure; before the join it also settles the connect attempt.
    private func fail(_ why: String) {
        let wasSettling = phase == .connecting || phase == .upgrading
        phase = .closed
        run.noteError("\(name): \(why)")
        if wasSettling { run.memberSettled(self, joined: false) }
    }

    // MARK: Receiving

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .joined: receive(bytes)
        case .upgrading: upgrade(bytes)
        default: return
        }
        if isSender {
            inFlight -= ledger.takeOwnEchoes()
            if run.sendsWindowed { fillWindow(stamp: ledger.now) }
        }
    }

    /// Checks deliveries in `bytes` (after the join).
    private func receive(_ bytes: UnsafeRawBufferPointer) {
        let before = ledger.delivered
        ledger.now = MonotonicClock.now()
        if isWebSocket {
            let event = frames.feed(bytes, into: &ledger)
            answerPings()
            switch event {
            case .none: break
            case .close(let code):
                fail("server sent a close frame (code \(code))")
                var machine = WebSocketStateMachine(role: .client)
                connection?.write(machine.encodeFrame(opcode: .close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)]))
                connection?.closeAfterFlush(.local("server closed"))
            case .violation(let why):
                fail("websocket: \(why)")
                connection?.close(.local(why))
            }
        } else if !lines.feed(bytes, into: &ledger) {
            fail("line longer than \(lines.maxLineBytes) bytes")
            connection?.close(.local("line too long"))
        }
        run.delivered += ledger.delivered - before
    }

    private func answerPings() {
        guard !frames.pings.isEmpty else { return }
        var machine = WebSocketStateMachine(role: .client)
        for payload in frames.pings { connection?.write(machine.encodePong(payload)) }
        frames.pings.removeAll()
    }

    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        self.connection = nil
        guard phase != .closed else { return }
        if run.isTearingDown {
            phase = .closed
        } else {
            fail("connection closed: \(reason)")
        }
    }

    /// Closes the connection (end of the run).
    func close() {
        connection?.close(.local("benchmark finished"))
    }

    // MARK: Sending

    /// Throughput mode: sends until `window` own messages are in flight.
    func fillWindow(stamp: UInt64) {
        while inFlight < run.config.window && isJoined {
            sendData(stamp: stamp)
        }
    }

    /// Sends the next data line `<seq> <stamp> <padding>`.
    func sendData(stamp: UInt64) {
        guard let connection, phase == .joined else { return }
        let text = run.payload.build(sequence: sent, stamp: stamp)
        sent += 1
        inFlight += 1
        transmit(text, on: connection)
    }

    /// Sends `probe <k>` (join barrier; not counted).
    func sendProbe(_ k: Int) {
        guard let connection, phase == .joined else { return }
        transmit(run.payload.probe(k), on: connection)
    }

    /// Queues one chat line: a line on TCP, a masked text frame on WebSocket.
    @inline(__always)
    private func transmit(_ text: UnsafeRawBufferPointer, on connection: StreamConnection) {
        if !isWebSocket {
            connection.write { storage in
                storage.append(contentsOf: text)
                storage.append(10)
            }
            return
        }
        maskState ^= maskState << 13
        maskState ^= maskState >> 17
        maskState ^= maskState << 5
        let key = maskState
        let newline = run.config.webSocketNewline
        connection.write { storage in
            WebSocketFrame.appendHeader(
                into: &storage, opcode: .text, length: text.count + (newline ? 1 : 0), maskingKey: key)
            let start = storage.count
            storage.append(contentsOf: text)
            if newline { storage.append(10) }
            storage.withUnsafeMutableBytes {
                WebSocketFrame.applyMask(key, to: UnsafeMutableRawBufferPointer(rebasing: $0[start...]))
            }
        }
    }
}
