@preconcurrency import Glibc
import Reactor
import WebSocket

/// The `-metrics` endpoint on the supervisor's loop: a listening socket and
/// one short exchange per connection (read a bounded request head, answer,
/// close). Nothing blocks the loop: reads and writes are non-blocking, a
/// client gets `requestTimeoutMilliseconds` to send its head, and at most
/// `maxConnections` are served at once (more are closed on accept).
public final class MetricsServer {
    /// The address actually bound (the port chosen for port 0).
    public let address: SocketAddress
    private var listener: Listener?
    private unowned let loop: EventLoop
    private unowned let source: MetricsSource
    private var open = 0
    let maxConnections = 64
    let requestTimeoutMilliseconds = 5000
    let maxHeadBytes = 8192

    /// Binds `address` and starts serving on `loop`.
    public init(address: SocketAddress, loop: EventLoop, source: MetricsSource) throws(SystemError) {
        let fd = try Socket.listenTCP(address, backlog: 128)
        do throws(SystemError) {
            self.address = try Socket.localAddress(fd)
        } catch {
            fd.close()
            throw error
        }
        self.loop = loop
        self.source = source
        do throws(SystemError) {
            listener = try Listener(fd: fd, loop: loop) { [unowned self] client in accept(client) }
        } catch {
            fd.close()
            throw error
        }
    }

    private func accept(_ fd: FileDescriptor) {
        guard open < maxConnections else {
            Log.warn("metrics connection limit reached; closing a client", ["limit": maxConnections])
            fd.close()
            return
        }
        do {
            let connection = try StreamConnection(fd: fd, loop: loop, outboundLimit: 16 << 20)
            let exchange = MetricsExchange(server: self, connection: connection, maxHeadBytes: maxHeadBytes)
            connection.delegate = exchange
            open += 1
            exchange.timer = loop.schedule(afterMilliseconds: requestTimeoutMilliseconds) {
                connection.close(.local("metrics request timed out"))
            }
        } catch {
            Log.warn("cannot register a metrics client", ["error": error])
            fd.close()
        }
    }

    /// The answer to one request head.
    func respond(to head: HTTPRequestHead) -> [UInt8] {
        MetricsHTTPResponder.response(
            to: head,
            exposition: { MetricsExposition.render(source.processSamples()) },
            health: { HealthReport(samples: source.processSamples(), stopping: source.isStopping) })
    }

    func exchangeClosed(_ exchange: MetricsExchange) {
        open -= 1
        if let timer = exchange.timer { loop.cancel(timer) }
        exchange.timer = nil
    }
}

/// One metrics client: the request head, parsed incrementally and bounded,
/// then one response and a close.
final class MetricsExchange: StreamConnectionDelegate {
    private unowned let server: MetricsServer
    private let connection: StreamConnection
    private var parser: HTTPRequestParser
    private var answered = false
    var timer: TimerID?

    init(server: MetricsServer, connection: StreamConnection, maxHeadBytes: Int) {
        self.server = server
        self.connection = connection
        self.parser = HTTPRequestParser(maxHeadBytes: maxHeadBytes)
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard !answered else { return }
        switch parser.feed(bytes) {
        case .needMore:
            return
        case .failure(let error):
            answered = true
            connection.write(error.responseBytes())
            connection.closeAfterFlush(.local(error.reason))
        case .complete(let head, _):
            answered = true
            connection.write(server.respond(to: head))
            connection.closeAfterFlush(.local("answered"))
        }
    }

    func connection(_ connection: StreamConnection, didCloseWith reason: CloseReason) {
        server.exchangeClosed(self)
    }
}
