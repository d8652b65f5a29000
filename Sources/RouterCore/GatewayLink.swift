import Reactor
import RouterProtocol

/// The router's end of one gateway's Unix-domain connection: decodes frames,
/// hands them to the `RouterServer`, and carries its deliveries back.
final class GatewayLink: StreamConnectionDelegate {
    enum Phase {
        case awaitingHello
        case ready
    }

    let id: GatewayID
    let connection: StreamConnection
    /// The server outlives its links; unowned(unsafe) skips reference counting.
    unowned(unsafe) let server: RouterServer
    var phase = Phase.awaitingHello
    /// The gateway's own name from HELLO, for logs.
    var name = "?"
    /// Random per gateway process (HELLO): a reconnect keeps it, a restart does not.
    var instance: UInt64 = 0
    /// The gateway's own sequence number of the first frame it resent after
    /// READY (frames it numbers in its held log).
    var firstHeldSequence: UInt64 = 0
    /// Frames processed up to and including READY: the preamble (HELLO, the
    /// replayed JOINs, READY) that the gateway does not number.
    var framesThroughReady: UInt64 = 0
    private var decoder = RouterFrameDecoder()
    /// Sequenced frames handled on this link (all but FETCH), and the count
    /// last acknowledged.
    var processedFrames: UInt64 = 0
    var acknowledgedFrames: UInt64 = 0
    /// Frames whose engine has not completed them yet.
    var completions = CompletionWindow()
    /// True while this link's outbound is above the high-water mark.
    var isCongested = false
    /// The gateway said READY: all its live members have been joined again.
    var sentReady = false

    init(id: GatewayID, connection: StreamConnection, server: RouterServer) {
        self.id = id
        self.connection = connection
        self.server = server
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        decoder.append(bytes)
        processFrames()
    }

    /// Handles the decoded frames, stopping early while the router holds this
    /// link (rejoin window after a restart); the rest waits in the decoder.
    func processFrames() {
        frames: while connection.isOpen && !server.isHolding(self) {
            let step: RouterDecodeStep
            do {
                // SAY text is used straight from the decoder's buffer.
                step = try decoder.next { view in
                    switch view {
                    case .say(let conn, let text): server.say(conn: conn, text: text, from: self)
                    case .deliver: server.unexpected("DELIVER", from: self)
                    case .history: server.unexpected("HISTORY", from: self)
                    }
                }
            } catch {
                Log.error("protocol error from gateway; closing its link", ["gateway": name, "error": error])
                connection.close(.local("protocol error: \(error)"))
                return
            }
            switch step {
            case .needMore:
                break frames
            case .borrowed:
                processedFrames &+= 1
            case .frame(let frame):
                server.handle(frame, from: self)
                // FETCH asks for history and changes nothing: it is not resent
                // after a restart, so it is not counted.
                if case .fetch = frame { continue }
                processedFrames &+= 1
            }
        }
        server.noteProcessed(self)
    }

    /// The gateway's own sequence number of frame number `frame` on this link
    /// (frames after READY are its held frames, numbered from
    /// `firstHeldSequence`); 0 before READY.
    func sequence(ofFrame frame: UInt64) -> UInt64 {
        guard framesThroughReady > 0, frame > framesThroughReady else { return 0 }
        return firstHeldSequence &+ (frame - framesThroughReady - 1)
    }

    /// Frames that may be acknowledged: processed, and complete in the engine.
    var acknowledgeableFrames: UInt64 {
        completions.acknowledgeable(processed: processedFrames)
    }

    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        server.linkClosed(self, reason: reason)
    }

    func connectionDidDrain(_ connection: StreamConnection) {
        server.linkDrained(self)
    }
}
