@preconcurrency import Glibc

/// Why a stream connection closed.
public enum CloseReason: Equatable, Sendable, CustomStringConvertible {
    /// The peer closed its side (read returned 0).
    case endOfFile
    /// A read or write failed.
    case failed(SystemError)
    /// The peer did not read fast enough and its outbound buffer passed the limit.
    case slowConsumer(pending: Int, limit: Int)
    /// We closed it on purpose, for the reason given.
    case local(String)

    public var description: String {
        switch self {
        case .endOfFile: return "peer closed"
        case .failed(let error): return error.description
        case .slowConsumer(let pending, let limit): return "slow consumer: \(pending) bytes pending, limit \(limit)"
        case .local(let why): return why
        }
    }
}

/// What a stream connection tells its owner.
public protocol StreamConnectionDelegate: AnyObject {
    /// Bytes arrived. They live in the loop's shared read buffer and are valid
    /// only during this call: copy what must outlive it.
    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer)
    /// The connection is closed and its descriptor released. Called once.
    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason)
    /// The outbound buffer became empty after having been non-empty
    /// (only when `notifiesOnDrain` is set; used to lift backpressure).
    func connectionDidDrain(_ connection: StreamConnection)
}

extension StreamConnectionDelegate {
    public func connectionDidDrain(_ connection: StreamConnection) {}
}

/// A non-blocking stream socket registered with an `EventLoop`: reads go to the
/// delegate, writes are appended to an `OutboundBuffer` and flushed once at the
/// end of the loop turn, closes happen at the end of the turn.
public final class StreamConnection: EventHandler, Flushable {
    private enum State {
        case open
        /// Output is being flushed before a close; input is discarded.
        case draining
        /// Our side is shut down after the final flush; waiting for the peer's
        /// EOF so unread input does not turn into a RST that could destroy the
        /// last line we sent (the "lingering close" of HTTP servers).
        case lingering
        case closed
    }

    public let fd: FileDescriptor
    /// The loop outlives every connection registered with it; unowned(unsafe)
    /// avoids reference counting on each write.
    public unowned(unsafe) let loop: EventLoop
    /// Held strongly until the connection closes, then released.
    public var delegate: StreamConnectionDelegate?
    public private(set) var outbound = OutboundBuffer()
    /// Hard limit on unsent bytes; past it the peer is a slow consumer and the
    /// connection is closed with a reason.
    public var outboundLimit: Int
    /// When set, the delegate hears `connectionDidDrain` each time the buffer empties.
    public var notifiesOnDrain = false
    /// Where to add the bytes read from and sent to the peer, when the owner
    /// counts them (a gateway's metrics counters for client sockets).
    public var receivedBytesCounter: UnsafeMutablePointer<UInt64>?
    public var sentBytesCounter: UnsafeMutablePointer<UInt64>?

    private var state = State.open
    private var isDirty = false
    private var writeArmed = false
    private var readPaused = false
    private var closeReason: CloseReason = .local("closed")
    private var lingerTimer: TimerID?
    /// The peer sent EOF: nothing more to read, and no lingering needed.
    private var peerHalfClosed = false

    /// Wraps an already connected, non-blocking socket and registers it for reads.
    public init(fd: FileDescriptor, loop: EventLoop, outboundLimit: Int = 1 << 20) throws(SystemError) {
        self.fd = fd
        self.loop = loop
        self.outboundLimit = outboundLimit
        try loop.register(fd, interest: Interest.read | Interest.readHangup, handler: self)
    }

    public var isOpen: Bool { state == .open }
    public var pendingOutboundBytes: Int { outbound.count }

    /// Stops or resumes reading (backpressure on a producer).
    public var isReadPaused: Bool {
        get { readPaused }
        set {
            guard newValue != readPaused else { return }
            readPaused = newValue
            updateInterest()
        }
    }

    /// Queues bytes; they are written at the end of this loop turn.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard state == .open || state == .draining else { return }
        outbound.append(bytes)
        didAppend()
    }

    @inline(__always)
    public func write(_ bytes: [UInt8]) {
        guard state == .open || state == .draining else { return }
        outbound.append(bytes)
        didAppend()
    }

    /// Lets an encoder append into the outbound storage in place.
    @inline(__always)
    public func write(_ body: (inout [UInt8]) -> Void) {
        guard state == .open || state == .draining else { return }
        outbound.withStorage(body)
        didAppend()
    }

    @inline(__always)
    private func didAppend() {
        if outbound.count > outboundLimit {
            let pending = outbound.count
            outbound.reset()
            close(.slowConsumer(pending: pending, limit: outboundLimit))
            return
        }
        if !isDirty {
            isDirty = true
            loop.markDirty(self)
        }
    }

    /// Closes at the end of this loop turn without flushing.
    public func close(_ reason: CloseReason) {
        guard state != .closed else { return }
        state = .closed
        closeReason = reason
        if let timer = lingerTimer { loop.cancel(timer) }
        loop.atEndOfTurn { [self] in finishClose() }
    }

    /// Stops reading, flushes what is queued, then closes; gives up after
    /// `timeoutMilliseconds` if the peer does not take the bytes.
    public func closeAfterFlush(_ reason: CloseReason, timeoutMilliseconds: Int = 2000) {
        guard state == .open else { return }
        state = .draining
        closeReason = reason
        // Strong capture: `close` cancels the timer, which releases it. (A weak
        // capture would give the connection a side table, slowing every retain.)
        lingerTimer = loop.schedule(afterMilliseconds: timeoutMilliseconds) { [self] in
            guard state != .closed else { return }
            close(closeReason)
        }
        if !isDirty {
            isDirty = true
            loop.markDirty(self)
        }
    }

    private func finishClose() {
        loop.deregister(fd)
        if case .slowConsumer = closeReason {
            // Megabytes may sit in the kernel's send queue for a peer that
            // reads slowly: a plain close would keep feeding them to it for
            // seconds and it would not notice the cut until it had read them
            // all. An abortive close drops them and tells it at once (RST).
            // Every other close stays graceful, so a last `error:` line arrives.
            Socket.setResetOnClose(fd)
        }
        fd.close()
        outbound.reset()
        let delegate = self.delegate
        self.delegate = nil
        delegate?.connection(self, didCloseWith: closeReason)
    }

    public func handleEvents(_ events: UInt32) {
        if events & Interest.write != 0 {
            flushNow()
        }
        if events & (Interest.read | Interest.hangup | Interest.error | Interest.readHangup) != 0 {
            switch state {
            case .open:
                if readPaused {
                    // Not reading, but a hangup must not spin a level-triggered loop.
                    if events & (Interest.hangup | Interest.error) != 0 { close(.endOfFile) }
                } else {
                    readOnce()
                }
            case .draining, .lingering:
                discardInput()
            case .closed:
                break
            }
        }
    }

    private func readOnce() {
        do {
            switch try fd.read(into: loop.readBuffer) {
            case .wouldBlock:
                return
            case .done(0):
                // The peer may only have shut down its sending side: give it
                // what is still queued for it, then close.
                peerHalfClosed = true
                if outbound.isEmpty {
                    close(.endOfFile)
                } else {
                    closeAfterFlush(.endOfFile)
                }
            case .done(let n):
                receivedBytesCounter?.pointee &+= UInt64(n)
                delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<n]))
            }
        } catch {
            close(.failed(error))
        }
    }

    private func discardInput() {
        do {
            if case .done(0) = try fd.read(into: loop.readBuffer) { close(closeReason) }
        } catch {
            close(closeReason)
        }
    }

    public func flush() {
        isDirty = false
        flushNow()
    }

    private func flushNow() {
        guard state != .closed && state != .lingering else { return }
        let hadBytes = !outbound.isEmpty
        while !outbound.isEmpty {
            do {
                let fd = self.fd
                let result = try outbound.drain { (bytes) throws(SystemError) -> IOResult<Int> in try fd.send(bytes) }
                if case .wouldBlock = result { break }
                if case .done(let n) = result { sentBytesCounter?.pointee &+= UInt64(n) }
            } catch {
                outbound.reset()
                close(.failed(error))
                return
            }
        }
        let wantWrite = !outbound.isEmpty
        if wantWrite != writeArmed {
            writeArmed = wantWrite
            updateInterest()
        }
        if outbound.isEmpty {
            if state == .draining {
                if peerHalfClosed {
                    close(closeReason)
                    return
                }
                state = .lingering
                _ = Glibc.shutdown(fd.rawValue, Int32(SHUT_WR))
                updateInterest()
            } else if hadBytes && notifiesOnDrain {
                delegate?.connectionDidDrain(self)
            }
        }
    }

    private func updateInterest() {
        guard state != .closed else { return }
        // While paused, RDHUP is left out too: level-triggered, it would fire
        // every turn once the peer half-closes. HUP and ERR always report.
        var interest: UInt32 = 0
        if !peerHalfClosed && (!readPaused || state != .open) { interest |= Interest.read | Interest.readHangup }
        if writeArmed { interest |= Interest.write }
        loop.modify(fd, interest: interest)
    }
}
