import WebAssets
@testable import WebSocket

/// libFuzzer entry: the HTTP/1.1 head parsers (`HTTPRequestParser` and the
/// client's response check in `ClientHandshake`, both over `HTTPHeadScanner`),
/// and what reads a parsed request: `ServerHandshake.validate` and the web
/// site's `response(for:)` (paths, `If-None-Match`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    HTTPRequestFuzzer.run(Array(UnsafeRawBufferPointer(start: data, count: size)))
    return 0
}

/// Checks on every input, with the default head limit (8 KiB) and a tiny one:
/// - the request parser and the client handshake give the same result whole,
///   byte by byte and in the other splits (the leftover plus the bytes not yet
///   fed being the same), and refuse input after their result;
/// - a parsed request head is well formed (token method and field names, a
///   target without spaces or controls, trimmed values without CR, LF or NUL)
///   and parses again to itself when written back;
/// - a key the handshake accepts is canonical base64 of 16 bytes, and the
///   101 response written for it upgrades a `ClientHandshake` holding that key;
/// - `WebSite.response(for:)`, `notFound(for:)` and every error's response
///   are built without trapping.
enum HTTPRequestFuzzer {
    /// A request head, comparable.
    struct Head: Equatable {
        var method: String
        var target: String
        var version: HTTPVersion
        var headers: [[String]]

        init(_ head: HTTPRequestHead) {
            method = head.method
            target = head.target
            version = head.version
            headers = head.headers.map { [$0.name, $0.value] }
        }
    }

    enum Outcome: Equatable {
        case needMore
        /// `rest` is the leftover plus every byte not fed to the parser.
        case complete(Head, rest: [UInt8])
        case failure(HTTPError)
    }

    enum ResponseOutcome: Equatable {
        case needMore
        case upgraded(status: Int, headers: [[String]], rest: [UInt8])
        case failure(ClientHandshakeError)
    }

    /// The RFC 6455 §1.3 sample nonce, whose key and accept value are known.
    static let clientKey = Array("the sample nonce".utf8)
    static let site = WebSite()

    static func run(_ bytes: [UInt8]) {
        let tiny = Int(bytes.first ?? 0) % 96 + 16
        for maxHeadBytes in [8192, tiny] {
            let whole = parse(bytes, pattern: [], maxHeadBytes: maxHeadBytes)
            let wholeResponse = receive(bytes, pattern: [], maxHeadBytes: maxHeadBytes)
            for pattern in FuzzSplits.patterns(for: bytes) {
                let split = parse(bytes, pattern: pattern, maxHeadBytes: maxHeadBytes)
                invariant(split == whole, "the request parser depends on the split \(pattern): \(split) vs \(whole)")
                let response = receive(bytes, pattern: pattern, maxHeadBytes: maxHeadBytes)
                invariant(
                    response == wholeResponse,
                    "the client handshake depends on the split \(pattern): \(response) vs \(wholeResponse)")
            }
            switch whole {
            case .complete(let head, _):
                check(head, bytes: bytes)
            case .failure(let error):
                _ = error.responseBytes()
            case .needMore:
                break
            }
        }
    }

    static func parse(_ bytes: [UInt8], pattern: [Int], maxHeadBytes: Int) -> Outcome {
        var parser = HTTPRequestParser(maxHeadBytes: maxHeadBytes)
        var outcome = Outcome.needMore
        var fed = 0
        FuzzSplits.forEachChunk(of: bytes, pattern: pattern) { chunk in
            fed += chunk.count
            switch parser.feed(chunk) {
            case .needMore:
                return true
            case .complete(let head, let leftover):
                outcome = .complete(Head(head), rest: leftover + bytes[fed...])
            case .failure(let error):
                outcome = .failure(error)
            }
            guard case .failure(.alreadyComplete) = [UInt8(ascii: "x")].withUnsafeBytes({ parser.feed($0) }) else {
                fatalError("fuzz invariant violated: the parser took input after its result")
            }
            return false
        }
        return outcome
    }

    static func receive(_ bytes: [UInt8], pattern: [Int], maxHeadBytes: Int) -> ResponseOutcome {
        var handshake = ClientHandshake(
            host: "localhost", path: "/mychat", origin: nil, key: clientKey, maxHeadBytes: maxHeadBytes)
        var outcome = ResponseOutcome.needMore
        var fed = 0
        FuzzSplits.forEachChunk(of: bytes, pattern: pattern) { chunk in
            fed += chunk.count
            switch handshake.receive(chunk) {
            case .needMore:
                return true
            case .upgraded(let head, let leftover):
                outcome = .upgraded(
                    status: head.status, headers: head.headers.map { [$0.name, $0.value] }, rest: leftover + bytes[fed...])
            case .failure(let error):
                _ = error.reason
                outcome = .failure(error)
            }
            guard
                case .failure(.malformedResponse(.alreadyComplete)) = [UInt8(ascii: "x")].withUnsafeBytes({
                    handshake.receive($0)
                })
            else {
                fatalError("fuzz invariant violated: the client handshake took input after its result")
            }
            return false
        }
        return outcome
    }

    static func check(_ head: Head, bytes: [UInt8]) {
        invariant(!head.method.isEmpty && head.method.utf8.allSatisfy(HTTPHeaderFields.isTokenCharacter), "method \(head.method)")
        invariant(!head.target.isEmpty && head.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target \(head.target)")
        for field in head.headers {
            let (name, value) = (field[0], field[1])
            invariant(!name.isEmpty && name.utf8.allSatisfy(HTTPHeaderFields.isTokenCharacter), "field name \(name)")
            invariant(!value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 || $0 == 0x7F }, "field value \(value)")
            invariant(value.utf8.first != 0x20 && value.utf8.last != 0x20, "field value \(value) is not trimmed")
            invariant(value.utf8.first != 0x09 && value.utf8.last != 0x09, "field value \(value) is not trimmed")
        }
        // Written back in the canonical form, the head parses to itself.
        var text = "\(head.method) \(head.target) \(head.version)\r\n"
        for field in head.headers { text += "\(field[0]): \(field[1])\r\n" }
        let again = parse(Array((text + "\r\n").utf8), pattern: [], maxHeadBytes: 1 << 20)
        invariant(again == .complete(head, rest: []), "\(head) written back parses to \(again)")

        let request = HTTPRequestHead(
            method: head.method, target: head.target, version: head.version, headers: head.headers.map { ($0[0], $0[1]) })
        _ = request.path
        _ = site.response(for: request, unixTime: 1_700_000_000)
        _ = site.notFound(for: request)
        switch ServerHandshake.validate(request) {
        case .failure(let error):
            _ = error.responseBytes()
        case .success(let accept):
            let key = request.values("Sec-WebSocket-Key")[0]
            guard let nonce = Base64.decode(key) else {
                fatalError("fuzz invariant violated: accepted key \(key) does not decode")
            }
            invariant(nonce.count == 16, "accepted key \(key) holds \(nonce.count) bytes")
            invariant(Base64.encode(nonce) == key, "accepted key \(key) is not canonical base64")
            var client = ClientHandshake(host: "h", path: "/", origin: nil, key: nonce)
            let upgraded = ServerHandshake.switchingProtocols(accept: accept).withUnsafeBytes { client.receive($0) }
            guard case .upgraded(_, let leftover) = upgraded, leftover.isEmpty else {
                fatalError("fuzz invariant violated: our 101 for key \(key) does not upgrade our client: \(upgraded)")
            }
        }
    }
}
