import Reactor
import RouterProtocol

/// One client connection on a gateway, whatever its wire protocol. Subclasses
/// (`TCPSession`, `WebSocketSession`) turn bytes into a join and lines, and
/// know how to tell their client about errors and shutdown.
class GatewaySession: StreamConnectionDelegate {
    enum Phase {
        /// Connected, no join yet (WebSocket: possibly still in the handshake).
        case awaitingJoin
        /// JOIN sent; lines are already relayed (the router handles a link's
        /// frames in order, so they follow the join).
        case joining
        /// The router accepted the join.
        case joined
        /// Closing or closed; nothing more is relayed.
        case leaving
    }

    let conn: ConnectionID
    let connection: StreamConnection
    /// The gateway outlives its sessions; unowned(unsafe) skips the
    /// reference counting a checked unowned reference costs on every use.
    unowned(unsafe) let gateway: Gateway
    var phase = Phase.awaitingJoin
    var name = ""
    var roomName = ""
    /// How this client wants deliveries and errors (known once its join parsed).
    var format = ClientFormat.text
    /// JSON only: it asked for join and leave events.
    var wantsPresence = false
    /// What the join asked the router for (history, resume, members).
    var joinOptions = JoinOptions.plain
    /// The room log's epoch and the last offset this client has been given,
    /// for resuming after a router restart.
    var epoch = ""
    var resumeOffset: UInt64 = 0
    /// Member names (MEMBERS) collected for the welcome until JOINED arrives.
    var pendingMembers: [String] = []
    /// Set while history is being streamed to this client.
    var catchUp: CatchUp?
    /// Sequence number of this member's JOIN in the gateway's held-frame log.
    var joinSequence: UInt64 = 0
    /// The local room index entry and this session's slot in it. Strong (a
    /// weak reference would put a side table on every room); `LocalRoom.remove`
    /// and `Gateway.routerLinkDown` clear it, which breaks the cycle.
    var room: LocalRoom?
    var roomSlot = 0
    var presenceSlot = 0
    /// Bytes of this client's lines not yet acknowledged by the router.
    var heldBytes = 0
    /// Lines refused in a row because the held-line bound was reached.
    var refusedLines = 0
    var joinTimer: TimerID?
    var rate: TokenBucket
    var isRateLimited = false
    /// Where the client connected from: the socket's peer, or the address a
    /// trusted proxy's PROXY header gave (logs and per-address limits).
    var clientAddress: IPEndpoint?
    /// Reading a trusted proxy's PROXY header before the chat protocol.
    var proxyHeader: ProxyHeaderParser?
    /// The first read of a client that is not a trusted proxy is checked
    /// for a stray PROXY header, to tell the operator (-proxy-protocol on).
    var screensFirstRead = false
    /// This connection is counted in the gateway's per-address table.
    var isCountedForAddress = false

    init(conn: ConnectionID, connection: StreamConnection, gateway: Gateway) {
        self.conn = conn
        self.connection = connection
        self.gateway = gateway
        self.rate = TokenBucket(rate: gateway.limits.linesPerSecond, burst: gateway.limits.lineBurst)
    }

    /// What the client said, in its wire protocol.
    func receive(_ bytes: UnsafeRawBufferPointer) {
        preconditionFailure("subclass responsibility")
    }

    /// Tells the client what went wrong (TCP: an `error:` line; WebSocket: a
    /// text message), then closes if `close` is set.
    func sendError(_ message: String, close: Bool, code: UInt16) {
        preconditionFailure("subclass responsibility")
    }

    /// Tells the client the gateway is going away, and closes after a flush.
    func sendShutdownNotice() {
        preconditionFailure("subclass responsibility")
    }

    /// Appends one message to `buffer` framed for this transport, for bytes
    /// that go to this client alone (a welcome, history, an error). TCP: the
    /// bytes, then a newline if `addNewline`; WebSocket: one text frame.
    func appendFramed(_ message: UnsafeRawBufferPointer, addNewline: Bool, into buffer: inout [UInt8]) {
        preconditionFailure("subclass responsibility")
    }

    /// Writes one message framed for this transport.
    final func writeFramed(_ message: UnsafeRawBufferPointer, addNewline: Bool) {
        connection.write { appendFramed(message, addNewline: addNewline, into: &$0) }
    }

    /// The text of an error in this client's format: `error: …` or
    /// `{"type":"error","message":"…"}`, without transport framing or newline.
    final func errorMessage(_ message: String) -> [UInt8] {
        switch format {
        case .text:
            return Array("error: \(message)".utf8)
        case .json:
            var bytes: [UInt8] = []
            ClientJSON.appendError(message, into: &bytes)
            return bytes
        }
    }

    /// Called when the router accepted the join.
    func didJoin() {}

    /// Refuses the connection before its join because its address holds
    /// too many connections. TCP: an `error:` line and close; WebSocket
    /// overrides it (HTTP 429 before the upgrade).
    func refuseForAddress(_ message: String) {
        sendError(message, close: true, code: 1008)
    }

    /// Relays a complete line, respecting the rate limit.
    final func relay(_ line: UnsafeRawBufferPointer) {
        rate.spend()
        gateway.say(self, line)
    }

    /// After a read: if the client is over its rate, stop reading it until the
    /// bucket refills (backpressure: nothing is dropped, the client's own TCP
    /// window fills and it slows down).
    final func applyRateLimit() {
        guard rate.rate > 0 else { return }
        let wait = rate.refill()
        guard wait > 0, !isRateLimited else { return }
        isRateLimited = true
        gateway.metrics.rateLimited.increment()
        updateReadPause()
        let conn = self.conn
        let gateway = self.gateway
        connection.loop.schedule(afterMilliseconds: wait) {
            guard let session = gateway.session(conn) else { return }
            session.isRateLimited = false
            session.updateReadPause()
            session.applyRateLimit()
        }
    }

    final func updateReadPause() {
        connection.isReadPaused = isRateLimited || gateway.clientsPaused
    }

    // MARK: StreamConnectionDelegate

    final func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        if proxyHeader != nil || screensFirstRead {
            gateway.readBeforeChat(self, bytes)
            return
        }
        receiveChat(bytes)
    }

    /// Bytes of the chat protocol (after any PROXY header).
    final func receiveChat(_ bytes: UnsafeRawBufferPointer) {
        receive(bytes)
        if phase == .joining || phase == .joined { applyRateLimit() }
    }

    /// The client's address for log lines.
    final var addressText: String {
        clientAddress?.description ?? "unknown"
    }

    /// Called once the connection has closed, before the gateway forgets the
    /// session: a subclass logs what it was still counting.
    func didClose() {}

    final func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        didClose()
        gateway.sessionClosed(self, reason: reason)
    }

    final func connectionDidDrain(_ connection: StreamConnection) {
        gateway.sessionDrained(self)
    }
}

/// History being streamed to one client: the gateway fetches it page by page
/// as the client takes it, and keeps the live lines that arrive meanwhile
/// (already framed) to send once the history is done.
struct CatchUp {
    /// The last offset sent to the client.
    var after: UInt64
    /// The room's last offset at the join: history ends here, live lines follow.
    let through: UInt64
    /// Live lines and events that arrived during the catch-up.
    var held: [UInt8] = []
    /// A FETCH is on its way to the router.
    var awaitingPage = false
}
