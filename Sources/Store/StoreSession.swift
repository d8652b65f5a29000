@preconcurrency import Glibc
import Reactor
import StoreProtocol

/// One router connection to the store: decodes its frames and hands them to
/// the server; streams a load back at the pace the socket takes it.
final class StoreSession: StreamConnectionDelegate {
    enum Phase {
        case awaitingHello
        case ready
        case closed
    }

    /// A load being streamed: the rooms to send, in id order.
    struct LoadCursor {
        var rooms: [StoredRoom]
        var index = 0
        var lines = 0
        let startedAt = MonotonicClock.now()
    }

    let connection: StreamConnection
    unowned(unsafe) let server: StoreServer
    var phase = Phase.awaitingHello
    var instance: UInt64 = 0
    var load: LoadCursor?
    private var decoder = StoreFrameDecoder()
    let peerPID: pid_t

    init(connection: StreamConnection, server: StoreServer, peerPID: pid_t) {
        self.connection = connection
        self.server = server
        self.peerPID = peerPID
    }

    var isOpen: Bool { phase != .closed && connection.isOpen }

    func send(_ frame: StoreFrame) {
        connection.write { frame.encode(into: &$0) }
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        decoder.append(bytes)
        while phase != .closed {
            var appended: PendingBatch?
            var lines = false
            let step: StoreDecodeStep
            do {
                step = try decoder.next { view in
                    switch view {
                    case .append(let batch, let records):
                        appended = PendingBatch(number: batch, records: Array(records.bytes))
                    case .lines:
                        lines = true
                    }
                }
            } catch {
                Log.error("bad frame from the router; closing its connection", ["error": error])
                close("protocol error: \(error)")
                return
            }
            switch step {
            case .needMore:
                return
            case .borrowed:
                if lines {
                    unexpected("LINES")
                } else if let appended {
                    guard phase == .ready else { return unexpected("APPEND before HELLO") }
                    server.enqueue(appended, from: self)
                }
            case .frame(let frame):
                handle(frame)
            }
        }
    }

    private func handle(_ frame: StoreFrame) {
        switch (phase, frame) {
        case (.awaitingHello, .hello(let version, let instance, let retention)):
            guard version == StoreProtocol.version else {
                Log.error(
                    "router speaks another store protocol version; closing",
                    ["version": version, "supported": StoreProtocol.version])
                close("unsupported protocol version \(version)")
                return
            }
            self.instance = instance
            phase = .ready
            server.sessionSaidHello(self, retention: retention)
        case (.ready, .load):
            guard load == nil else { return unexpected("LOAD during a load") }
            server.startLoad(for: self)
        default:
            unexpected("\(frame.typeCode)")
        }
    }

    private func unexpected(_ what: String) {
        Log.error("unexpected frame from the router; closing its connection", ["frame": what])
        close("unexpected frame \(what)")
    }

    func close(_ reason: String) {
        // Closed now for the decoding loop; the descriptor goes at the end of the turn.
        phase = .closed
        connection.close(.local(reason))
    }

    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        phase = .closed
        server.sessionClosed(self, reason: reason)
    }

    func connectionDidDrain(_ connection: StreamConnection) {
        if load != nil { server.continueLoad(for: self) }
    }
}
