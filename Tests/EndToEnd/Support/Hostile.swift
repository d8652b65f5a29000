@preconcurrency import Glibc
import Reactor

/// What the hostile-input tests share: sockets whose sends cannot block for
/// long, the exact texts the gateways answer bad input with (from the README
/// and the code), and process counters.
enum Hostile {
    /// How long one blocking send may wait for the peer before giving up.
    static let sendTimeoutSeconds = 5

    // MARK: Sockets

    /// A connected loopback socket with a send timeout; `receiveBuffer`, if
    /// given, is set before connecting so the advertised window stays small.
    static func connect(port: UInt16, receiveBuffer: Int32? = nil) throws -> FileDescriptor {
        let raw = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard raw >= 0 else { throw HarnessError(description: "socket: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(raw)
            throw HarnessError(description: "connect to port \(port): errno \(error)")
        }
        let fd = FileDescriptor(rawValue: raw)
        boundSends(fd)
        return fd
    }

    /// Makes blocking sends on `fd` give up after `sendTimeoutSeconds`
    /// (SO_SNDTIMEO), so a test never hangs on a peer that stopped reading.
    static func boundSends(_ fd: FileDescriptor) {
        var timeout = timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0)
        setsockopt(fd.rawValue, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A TCP client for raw bytes, with bounded sends.
    static func lineClient(port: UInt16) throws -> LineClient {
        let client = try LineClient(port: port)
        boundSends(client.fd)
        return client
    }

    /// Writes all of `bytes`; false if the peer went away or the send timed out.
    @discardableResult
    static func sendAll(_ fd: FileDescriptor, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Closes a socket with a reset (SO_LINGER 0) instead of a FIN: a client that vanishes rudely.
    static func reset(_ fd: FileDescriptor) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd.rawValue, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// The first index of `needle` in `haystack`.
    static func index(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// Where two sequences first differ, for a short failure message
    /// (nil when they are equal); long sequences are not printed whole.
    static func firstDifference<T: Equatable>(_ got: [T], _ expected: [T]) -> String? {
        if let index = zip(got, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return "at \(index) of \(expected.count): got \(got[index]), expected \(expected[index])"
        }
        return got.count == expected.count ? nil : "got \(got.count) values, expected \(expected.count)"
    }

    // MARK: What the gateways answer

    /// The join shape every join error ends with (`JoinError.message`).
    static let joinShape = #"send {"name":"<you>","room":"<room>"}"#

    static let notAnObject = "the join must be a JSON object; \(joinShape)"
    static func tooLarge(_ max: Int) -> String { "the join is larger than \(max) bytes; \(joinShape)" }
    static func invalidJSON(_ why: String) -> String { "invalid join JSON (\(why)); \(joinShape)" }
    static let historyRange = #""history" must be a whole number from 0 to 1000000"#
    static let sinceRange = #""since" must be a whole number from 0 to 9007199254740991 (an offset from a message)"#
    static let invalidUTF8Line = "line is not valid UTF-8; it was not sent"
    static let binaryRefused = "binary messages are not supported; send text"
    static func lineTooLong(_ max: Int) -> String { "line longer than \(max) bytes; connection closed" }
    /// The join timeout's text for a timeout in whole seconds (`Gateway.startJoinTimer`).
    static func noJoin(seconds: Int) -> String {
        #"no join received within \#(seconds) s; send {"name":"…","room":"…"} first"#
    }

    /// The complete `Connection: close` refusal the WebSocket gateway sends
    /// before an upgrade (`HTTPResponse.bytes`), byte for byte.
    static func httpRefusal(_ status: Int, _ reason: String, body: String) -> String {
        "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    static let headTooLarge = httpRefusal(431, "Request Header Fields Too Large", body: "error: request head too large\n")
    static let handshakeTimedOut = httpRefusal(408, "Request Timeout", body: "error: websocket handshake not completed\n")
    /// Every refusal a malformed request head can get (`HTTPError`).
    static let malformedHeadRefusals: Set<String> = [
        headTooLarge,
        httpRefusal(400, "Bad Request", body: "error: malformed request line\n"),
        httpRefusal(400, "Bad Request", body: "error: malformed header line\n"),
        httpRefusal(400, "Bad Request", body: "error: folded header lines are not supported\n"),
    ]

    // MARK: Processes

    /// Open descriptors of a process (entries of /proc/PID/fd).
    static func descriptorCount(_ pid: pid_t) -> Int {
        guard let dir = opendir("/proc/\(pid)/fd") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let first = withUnsafeBytes(of: entry.pointee.d_name) { $0[0] }
            if first != UInt8(ascii: ".") { count += 1 }
        }
        return count
    }
}
