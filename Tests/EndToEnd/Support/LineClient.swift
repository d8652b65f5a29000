@preconcurrency import Glibc
import Foundation
import Reactor

/// A raw TCP chat client for tests: real socket, real bytes, with timeouts.
final class LineClient {
    let fd: FileDescriptor
    private var buffer: [UInt8] = []
    private(set) var isClosed = false

    init(port: UInt16, host: String = "127.0.0.1") throws {
        fd = try Socket.connectTCP(try SocketAddress.resolve("\(host):\(port)")[0])
    }

    /// Wraps a socket connected some other way (e.g. from a chosen source address).
    init(connected fd: FileDescriptor) {
        self.fd = fd
    }

    /// Connects and sends the join `{"name":…,"room":…}` plus a newline.
    convenience init(port: UInt16, name: String, room: String) throws {
        try self.init(port: port)
        send("{\"name\":\"\(name)\",\"room\":\"\(room)\"}\n")
    }

    deinit {
        fd.close()
    }

    func send(_ text: String) {
        send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    /// Reads whatever arrives within `timeout` seconds into the buffer;
    /// false once the server closed and nothing more can come.
    @discardableResult
    private func fill(timeout: Double) -> Bool {
        guard !isClosed else { return false }
        var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(max(0, timeout * 1000)))
        guard ready > 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 {
            buffer += chunk[0..<n]
            return true
        }
        if n == 0 || (errno != EAGAIN && errno != EINTR) { isClosed = true }
        return !isClosed
    }

    /// The next line (without `\n`), or nil after `timeout` seconds or EOF.
    func readLine(timeout: Double = 5) -> String? {
        Collecting.line(timeout: timeout, pop: { Collecting.popLine(&buffer) }, fill: { fill(timeout: $0) })
    }

    /// `count` lines, or fewer if they do not arrive within `timeout`.
    func readLines(_ count: Int, timeout: Double = 10) -> [String] {
        Collecting.values(count, timeout: timeout) { readLine(timeout: $0) }
    }

    /// True if the server closes the connection within `timeout` (lines
    /// still buffered are kept for `readLine`).
    func waitForClose(timeout: Double = 5) -> Bool {
        let deadline = MachatProcess.now() + timeout
        while !isClosed && MachatProcess.now() < deadline {
            fill(timeout: 0.1)
        }
        return isClosed
    }

    /// Everything received until the server closes (or `timeout` passes),
    /// including what is still buffered: for raw HTTP exchanges.
    func readToClose(timeout: Double = 5) -> String {
        _ = waitForClose(timeout: timeout)
        defer { buffer = [] }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Keeps trying to connect and join (with the probe) until it works or
    /// `timeout` passes: for a gateway that is being restarted.
    static func joinedEventually(port: UInt16, name: String, room: String, timeout: Double = 20) throws -> LineClient {
        try Collecting.retrying("\(name) could not join \(room)", timeout: timeout) {
            try joined(port: port, name: name, room: room, timeout: $0)
        }
    }

    /// Joins and waits until the join is confirmed by seeing our own probe line.
    static func joined(port: UInt16, name: String, room: String, timeout: Double = 10) throws -> LineClient {
        let client = try LineClient(port: port, name: name, room: room)
        let probe = "probe-\(UInt32.random(in: 0...UInt32.max))"
        client.send(probe + "\n")
        let deadline = MachatProcess.now() + timeout
        while let line = client.readLine(timeout: max(0, deadline - MachatProcess.now())) {
            if line == "\(name):\(probe)" { return client }
        }
        throw HarnessError(description: "\(name) did not see its own probe in room \(room)")
    }
}
