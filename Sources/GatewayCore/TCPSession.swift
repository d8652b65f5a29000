import Reactor
import RouterProtocol
import WebSocket

/// A client on the TCP gateway: one JSON join, then newline-terminated lines
/// (the seed's protocol); errors are `error: …` lines.
final class TCPSession: GatewaySession {
    private var scanner: JoinScanner?
    private var framer: LineFramer
    /// Lines refused as invalid UTF-8 since the last line relayed: a run of
    /// them is logged once at its start and once, with this count, at its end.
    private var invalidLines = 0

    override init(conn: ConnectionID, connection: StreamConnection, gateway: Gateway) {
        scanner = JoinScanner(maxBytes: gateway.limits.maxJoinBytes)
        framer = LineFramer(maxLineBytes: gateway.limits.maxLineBytes)
        super.init(conn: conn, connection: connection, gateway: gateway)
    }

    override func receive(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        if phase == .awaitingJoin {
            guard var scanner else { return }
            let outcome = scanner.feed(bytes)
            self.scanner = scanner
            switch outcome {
            case .needMore:
                return
            case .failed(let error):
                gateway.refuseJoin(self, error)
                return
            case .complete(let object, let consumed):
                switch JoinRequest.parse(object) {
                case .failure(let error):
                    format = object.withUnsafeBytes { JoinRequest.requestedFormat($0) }
                    gateway.refuseJoin(self, error)
                    return
                case .success(let request):
                    guard gateway.join(self, request) else { return }
                }
                rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            }
        }
        if var scanner, scanner.isInTrailer {
            let skip = scanner.skipTrailer(rest)
            self.scanner = scanner.isInTrailer ? scanner : nil
            rest = UnsafeRawBufferPointer(rebasing: rest[skip...])
        } else if scanner != nil {
            scanner = nil
        }
        guard !rest.isEmpty, phase == .joining || phase == .joined else { return }
        let tooLong = framer.feed(rest) { line in
            guard phase == .joining || phase == .joined else { return }
            // WebSocket members receive lines as text frames, which must be
            // UTF-8 (RFC 6455 §5.6): one client's bad bytes must not break theirs.
            guard UTF8Validator.isValid(line) else {
                refuseInvalidLine()
                return
            }
            if invalidLines > 0 { endInvalidRun() }
            relay(line)
        }
        if let tooLong {
            Log.info("line too long; closing", ["conn": conn, "name": name, "limit": tooLong.limit])
            sendError("line longer than \(tooLong.limit) bytes; connection closed", close: true, code: 1009)
        }
    }

    /// Refuses a line that is not UTF-8. The client hears of each one (it must
    /// know which lines were lost); each costs a rate token like a relayed line,
    /// so a flood of them is slowed the same way and the errors it earns stay
    /// within -rate; the log hears of the run, not of every line.
    private func refuseInvalidLine() {
        rate.spend()
        if invalidLines == 0 {
            Log.info("line is not valid UTF-8; not relayed", ["conn": conn, "name": name])
        }
        invalidLines += 1
        sendError("line is not valid UTF-8; it was not sent", close: false, code: 1007)
    }

    /// Logs how many lines a run of invalid UTF-8 lost, if more than the one
    /// its first log line told of.
    private func endInvalidRun() {
        if invalidLines > 1 {
            Log.info("invalid UTF-8 lines refused", ["conn": conn, "name": name, "lines": invalidLines])
        }
        invalidLines = 0
    }

    override func didClose() {
        if invalidLines > 0 { endInvalidRun() }
    }

    override func appendFramed(_ message: UnsafeRawBufferPointer, addNewline: Bool, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: message)
        if addNewline { buffer.append(UInt8(ascii: "\n")) }
    }

    override func sendError(_ message: String, close: Bool, code: UInt16) {
        errorMessage(message).withUnsafeBytes { writeFramed($0, addNewline: true) }
        if close {
            gateway.retire(self)
            connection.closeAfterFlush(.local(message))
        }
    }

    override func sendShutdownNotice() {
        sendError("server is restarting; reconnect in a moment", close: true, code: 1001)
    }
}
