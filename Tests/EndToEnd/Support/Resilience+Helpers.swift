@preconcurrency import Glibc
import Foundation
import Reactor
import Synchronization

/// What the resilience tests (process kills, limits, floods) share: finding
/// which gateway process serves a client, a uniform member over TCP or
/// WebSocket that collects what it receives, and checks on what arrived.
enum Resilience {
    // MARK: Which gateway serves a client

    /// The local (ephemeral) port of a connected socket.
    static func localPort(of fd: FileDescriptor) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
        }
        guard result == 0, storage.ss_family == sa_family_t(AF_INET) else { return nil }
        let port = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
        }
        return UInt16(bigEndian: port)
    }

    /// The inode of the server side of a loopback TCP connection: the socket
    /// in `/proc/net/tcp` whose local port is `serverPort` and whose remote
    /// port is the client's `clientPort`. Zero (or nil) until it is accepted.
    static func serverSocketInode(serverPort: UInt16, clientPort: UInt16) -> UInt64? {
        for line in MachatProcess.read("/proc/net/tcp").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9 else { continue }
            guard let local = hexPort(fields[1]), let remote = hexPort(fields[2]) else { continue }
            if local == serverPort && remote == clientPort, let inode = UInt64(fields[9]), inode != 0 {
                return inode
            }
        }
        return nil
    }

    private static func hexPort(_ address: Substring) -> UInt16? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return UInt16(address[address.index(after: colon)...], radix: 16)
    }

    /// The socket inodes a process holds open (`/proc/<pid>/fd/* -> socket:[inode]`).
    static func socketInodes(of pid: pid_t) -> Set<UInt64> {
        var inodes: Set<UInt64> = []
        guard let dir = opendir("/proc/\(pid)/fd") else { return inodes }
        defer { closedir(dir) }
        var target = [CChar](repeating: 0, count: 256)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard Int(name) != nil else { continue }
            let n = readlink("/proc/\(pid)/fd/\(name)", &target, target.count - 1)
            guard n > 0 else { continue }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard link.hasPrefix("socket:["), link.hasSuffix("]") else { continue }
            if let inode = UInt64(link.dropFirst(8).dropLast()) { inodes.insert(inode) }
        }
        return inodes
    }

    /// Which of `gateways` holds the accepted end of `client`'s connection to
    /// `serverPort`; nil if none does (not accepted yet, or closed).
    static func gateway(serving client: LineClient, serverPort: UInt16, among gateways: [pid_t]) -> pid_t? {
        guard let port = localPort(of: client.fd),
            let inode = serverSocketInode(serverPort: serverPort, clientPort: port)
        else { return nil }
        return gateways.first { socketInodes(of: $0).contains(inode) }
    }

    // MARK: Joining

    /// A WebSocket member whose join is confirmed by its own probe coming back.
    static func joinedWebSocket(
        port: UInt16, name: String, room: String, timeout: Double = 10
    ) throws
        -> WebSocketTestClient
    {
        let client = try WebSocketTestClient(port: port, name: name, room: room)
        let probe = "probe-\(UInt32.random(in: 0...UInt32.max))"
        client.sendText(probe)
        let deadline = MachatProcess.now() + timeout
        while let text = client.readText(timeout: max(0, deadline - MachatProcess.now())) {
            if text == "\(name):\(probe)\n" { return client }
        }
        throw HarnessError(description: "\(name) (WebSocket) did not see its own probe in room \(room)")
    }

    /// Makes every member's view start at the same point: the first sends a
    /// marker and each member reads up to it, so probes and joins of others
    /// seen before it are discarded.
    static func synchronize(_ members: [Member], timeout: Double = 10) throws {
        guard let first = members.first else { return }
        let marker = "sync-\(UInt32.random(in: 0...UInt32.max))"
        first.send(marker)
        for member in members {
            guard member.collect(timeout: timeout, until: { $0.contains("\(first.name):\(marker)") }) else {
                throw HarnessError(description: "\(member.name) did not receive the sync marker")
            }
            member.clear()
        }
    }

    /// Hangs up every member and stops the server; its exit status.
    static func stop(_ server: MachatProcess, after members: [Member]) -> Int32? {
        for member in members { member.hangUp() }
        return server.stop()
    }

    // MARK: Checks on what arrived

    /// The lines `member` received from `sender` (texts only, without `name:`).
    static func texts(from sender: String, in lines: [String]) -> [String] {
        let prefix = "\(sender):"
        return lines.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// `lines` with later repeats of a line removed (at-least-once delivery
    /// after a router kill may repeat a line that was in flight).
    static func firstOccurrences(_ lines: [String]) -> [String] {
        var seen: Set<String> = []
        return lines.filter { seen.insert($0).inserted }
    }

    /// Elapsed milliseconds since `start` (a `MachatProcess.now()` value), for printing.
    static func milliseconds(since start: Double) -> Int {
        Int(((MachatProcess.now() - start) * 1000).rounded())
    }
}

extension Resilience {
    /// One chat member over TCP or WebSocket that keeps everything it receives.
    /// Lines are stored without the trailing newline (TCP line or the
    /// newline ending each WebSocket delivery).
    final class Member {
        enum Transport {
            case tcp(LineClient)
            case webSocket(WebSocketTestClient)
        }

        let name: String
        let transport: Transport
        private(set) var received: [String] = []

        init(name: String, transport: Transport) {
            self.name = name
            self.transport = transport
        }

        static func tcp(_ client: LineClient, name: String) -> Member {
            Member(name: name, transport: .tcp(client))
        }

        static func webSocket(_ client: WebSocketTestClient, name: String) -> Member {
            Member(name: name, transport: .webSocket(client))
        }

        var tcpClient: LineClient? {
            if case .tcp(let client) = transport { return client }
            return nil
        }

        var webSocketClient: WebSocketTestClient? {
            if case .webSocket(let client) = transport { return client }
            return nil
        }

        var isClosed: Bool {
            switch transport {
            case .tcp(let client): client.isClosed
            case .webSocket(let client): client.isClosed
            }
        }

        /// Sends one line (TCP: with `\n`; WebSocket: one text message).
        func send(_ text: String) {
            switch transport {
            case .tcp(let client): client.send(text + "\n")
            case .webSocket(let client): client.sendText(text)
            }
        }

        private func next(timeout: Double) -> String? {
            switch transport {
            case .tcp(let client):
                return client.readLine(timeout: timeout)
            case .webSocket(let client):
                guard let text = client.readText(timeout: timeout) else { return nil }
                return text.hasSuffix("\n") ? String(text.dropLast()) : text
            }
        }

        /// Takes what has arrived, waiting up to `wait` seconds for the first
        /// line; returns the new lines.
        @discardableResult
        func poll(wait: Double = 0.001) -> [String] {
            var fresh: [String] = []
            var timeout = wait
            while fresh.count < 100_000, let line = next(timeout: timeout) {
                fresh.append(line)
                timeout = 0.001
            }
            received += fresh
            return fresh
        }

        /// Reads until `condition` holds for the received lines, or `timeout`.
        @discardableResult
        func collect(timeout: Double, until condition: ([String]) -> Bool) -> Bool {
            let deadline = MachatProcess.now() + timeout
            while !condition(received) {
                let left = deadline - MachatProcess.now()
                if left <= 0 { return false }
                let fresh = poll(wait: min(left, 0.05))
                if fresh.isEmpty && isClosed { return condition(received) }
            }
            return true
        }

        func clear() {
            received.removeAll()
        }

        /// Shuts the socket down both ways, so a stopping server need not
        /// linger for this client's close (the descriptor closes on deinit).
        func hangUp() {
            let fd = tcpClient?.fd ?? webSocketClient!.fd
            shutdown(fd.rawValue, Int32(SHUT_RDWR))
        }
    }
}

extension Resilience {
    /// A client that floods a room from a thread of its own: it writes
    /// pre-encoded lines as fast as the socket takes them and reads (and
    /// discards) its own deliveries, so it is never a slow consumer.
    final class Flooder: @unchecked Sendable {
        /// Kept alive (and closed on deinit) by the owner; used only by the thread.
        private let fd: CInt
        private let batch: [UInt8]
        private let stopRequested = Atomic<Bool>(false)
        private let finished = DispatchSemaphore(value: 0)
        private let bytesSent = Atomic<Int>(0)
        private let bytesReceived = Atomic<Int>(0)
        private let peerClosed = Atomic<Bool>(false)

        /// Bytes of flood written so far.
        var sent: Int { bytesSent.load(ordering: .relaxed) }
        /// Bytes of deliveries read (and discarded) so far.
        var received: Int { bytesReceived.load(ordering: .relaxed) }
        /// True once the server closed the connection.
        var wasDisconnected: Bool { peerClosed.load(ordering: .relaxed) }

        /// `client` must be joined; its descriptor is switched to non-blocking.
        init(client: LineClient, line: String, linesPerBatch: Int = 512) throws {
            fd = client.fd.rawValue
            batch = Array(String(repeating: line + "\n", count: linesPerBatch).utf8)
            try client.fd.setNonBlocking(true)
        }

        func start() {
            let thread = Thread { [self] in
                run()
                finished.signal()
            }
            thread.start()
        }

        /// Stops the flood and waits for the thread to finish.
        func stop() {
            stopRequested.store(true, ordering: .relaxed)
            finished.wait()
        }

        private func run() {
            var offset = 0
            var scratch = [UInt8](repeating: 0, count: 1 << 18)
            while !stopRequested.load(ordering: .relaxed) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN | POLLOUT), revents: 0)
                guard poll(&pfd, 1, 20) > 0 else { continue }
                if pfd.revents & Int16(POLLNVAL) != 0 {
                    peerClosed.store(true, ordering: .relaxed)
                    return
                }
                if pfd.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if n > 0 {
                        bytesReceived.add(n, ordering: .relaxed)
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        peerClosed.store(true, ordering: .relaxed)
                        return
                    }
                }
                if pfd.revents & Int16(POLLOUT) != 0 {
                    let n = batch.withUnsafeBytes {
                        Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                    if n > 0 {
                        offset = (offset + n) % batch.count
                        bytesSent.add(n, ordering: .relaxed)
                    }
                }
            }
        }
    }
}

extension Resilience {
    /// A TCP client with a tiny receive buffer, set before connecting so the
    /// window stays small, that joins and then never reads.
    final class NonReader {
        let fd: CInt

        init(port: UInt16, name: String, room: String, receiveBuffer: Int32 = 4096) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw HarnessError(description: "socket: errno \(errno)") }
            var size = receiveBuffer
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else {
                close(fd)
                throw HarnessError(description: "connect: errno \(errno)")
            }
            send("{\"name\":\"\(name)\",\"room\":\"\(room)\"}\n")
        }

        deinit {
            close(fd)
        }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }
}
