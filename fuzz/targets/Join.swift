@testable import Auth
@testable import GatewayCore
import RouterProtocol

/// libFuzzer entry: the join, as the TCP gateway reads it (`JoinScanner`
/// delimiting the object in the byte stream, then `JoinRequest.parse` and
/// `JSONObjectReader`) and as the WebSocket gateway does (the whole first
/// message parsed as the join).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    JoinFuzzer.run(Array(UnsafeRawBufferPointer(start: data, count: size)))
    return 0
}

/// Checks on every input:
/// - `JoinScanner`, with the default and with a tiny size limit, finds the
///   same object, the same error and the same first-line bytes whole, byte by
///   byte and in the other splits, feeding later reads through `skipTrailer`
///   as `TCPSession` does; and what it found is the input: leading
///   whitespace, the object, whitespace up to one newline, then the rest.
/// - `JoinRequest.parse` of the scanned object and of the whole input: a join
///   it accepts is written back as JSON and parses to the same request, its
///   format is what `requestedFormat` reports, and a valid one survives the
///   router's JOIN frame (encode, decode) with its name, room and options.
/// - `JSONObjectReader` agrees with Auth's `JSONReader`, written separately to
///   the same RFC 8259 grammar and nesting limit: both accept or both refuse,
///   and accepted members have the same values. Auth refuses duplicate names,
///   which the join reader lets the last one win, so those inputs are skipped.
enum JoinFuzzer {
    struct ScanOutcome: Equatable {
        var object: [UInt8]?
        var error: JoinError?
        /// Bytes after the join (and its trailer), the start of the first line.
        var after: [UInt8] = []
    }

    static func run(_ bytes: [UInt8]) {
        let tiny = Int(bytes.first ?? 0) % 64 + 1
        for maxBytes in [GatewayLimits().maxJoinBytes, tiny] {
            let whole = scan(bytes, pattern: [], maxBytes: maxBytes)
            for pattern in FuzzSplits.patterns(for: bytes) {
                let split = scan(bytes, pattern: pattern, maxBytes: maxBytes)
                invariant(split == whole, "JoinScanner depends on the split \(pattern): \(split) vs \(whole)")
            }
            checkLayout(whole, of: bytes, maxBytes: maxBytes)
            if maxBytes == GatewayLimits().maxJoinBytes, let object = whole.object {
                checkParse(object)
                compareReaders(object)
            }
        }
        checkParse(bytes)
        compareReaders(bytes)
    }

    /// Feeds `bytes` to a scanner the way `TCPSession.receive` does.
    static func scan(_ bytes: [UInt8], pattern: [Int], maxBytes: Int) -> ScanOutcome {
        var scanner = JoinScanner(maxBytes: maxBytes)
        var outcome = ScanOutcome()
        FuzzSplits.forEachChunk(of: bytes, pattern: pattern) { chunk in
            var rest = chunk
            if outcome.object == nil {
                switch scanner.feed(chunk) {
                case .needMore:
                    return true
                case .failed(let error):
                    outcome.error = error
                    return false
                case .complete(let object, let consumed):
                    invariant(consumed >= 0 && consumed <= chunk.count, "consumed \(consumed) of \(chunk.count) bytes")
                    outcome.object = object
                    rest = UnsafeRawBufferPointer(rebasing: chunk[consumed...])
                }
            }
            if scanner.isInTrailer {
                let skip = scanner.skipTrailer(rest)
                invariant(skip >= 0 && skip <= rest.count, "skipTrailer skipped \(skip) of \(rest.count) bytes")
                rest = UnsafeRawBufferPointer(rebasing: rest[skip...])
            }
            outcome.after.append(contentsOf: rest)
            return true
        }
        return outcome
    }

    static func checkLayout(_ outcome: ScanOutcome, of bytes: [UInt8], maxBytes: Int) {
        guard let object = outcome.object else {
            invariant(outcome.after.isEmpty, "bytes after a join that was not found")
            return
        }
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        let leading = bytes.prefix(while: isWhitespace).count
        invariant(object.count <= maxBytes, "a join of \(object.count) bytes passed the limit of \(maxBytes)")
        invariant(object.first == UInt8(ascii: "{"), "the join does not start with '{'")
        invariant(
            object.last == UInt8(ascii: "}") || object.last == UInt8(ascii: "]"), "the join does not end with '}' or ']'")
        invariant(bytes[leading...].starts(with: object), "the join is not the bytes after the leading whitespace")
        let trailerStart = leading + object.count
        let trailerEnd = bytes.count - outcome.after.count
        invariant(trailerEnd >= trailerStart, "the first line overlaps the join")
        invariant(Array(bytes[trailerEnd...]) == outcome.after, "the first line is not the end of the input")
        let trailer = bytes[trailerStart..<trailerEnd]
        invariant(trailer.allSatisfy(isWhitespace), "the join's trailer holds more than whitespace")
        invariant(
            !trailer.dropLast().contains(UInt8(ascii: "\n")), "the join's trailer runs past its first newline")
        if trailer.last != UInt8(ascii: "\n"), let first = outcome.after.first {
            invariant(!isWhitespace(first), "whitespace after the join was left in the first line")
        }
    }

    static func checkParse(_ bytes: [UInt8]) {
        let parsed = JoinRequest.parse(bytes)
        let format = bytes.withUnsafeBytes { JoinRequest.requestedFormat($0) }
        guard case .success(let request) = parsed else {
            if case .failure(let error) = parsed { _ = error.message }
            return
        }
        invariant(format == request.format, "requestedFormat says \(format), the join \(request.format)")
        let again = JoinRequest.parse(json(of: request))
        invariant(again == .success(request), "\(request) written as JSON parses to \(again)")
        let limits = GatewayLimits()
        guard request.validate(limits) == nil else { return }
        let options = request.routerOptions(defaultHistory: 25)
        if let history = request.history {
            invariant(
                options.history == UInt32(min(history, JoinRequest.maxHistory)),
                "history \(history) became \(String(describing: options.history))")
        }
        let frame = RouterFrame.join(conn: 7, name: request.name, room: request.room, options: options)
        var decoder = RouterFrameDecoder()
        decoder.append(contentsOf: frame.encoded)
        let decoded = try? decoder.next()
        invariant(decoded == frame, "the JOIN frame for \(request) decodes as \(String(describing: decoded))")
    }

    /// The request as a join object, written independently of how it was read.
    static func json(of request: JoinRequest) -> [UInt8] {
        var text = #"{"name":"# + JSONText.quoted(request.name) + #","room":"# + JSONText.quoted(request.room)
        if request.format == .json { text += #","format":"json""# }
        if let history = request.history { text += #","history":\#(history)"# }
        if let resume = request.resume { text += #","since":\#(resume.since),"epoch":"# + JSONText.quoted(resume.epoch) }
        if request.presence { text += #","presence":true"# }
        return Array((text + "}").utf8)
    }

    /// Depth of the join reader, counted the way Auth's reader counts it (the
    /// top-level object is level 1), so both refuse the same nesting.
    static let authMaxDepth = 33

    static func compareReaders(_ bytes: [UInt8]) {
        let join = bytes.withUnsafeBytes { JSONObjectReader.readObject($0) }
        let auth: Result<JSONObject, JSONReader.Failure>
        do throws(JSONReader.Failure) {
            auth = .success(try JSONReader.readObject(bytes, maxBytes: Int.max, maxDepth: authMaxDepth))
        } catch {
            auth = .failure(error)
        }
        switch (join, auth) {
        case (.success(let members), .success(let object)):
            invariant(
                Set(members.keys) == Set(object.keys), "the readers found different names: \(members.keys) vs \(object.keys)")
            for (name, scalar) in members {
                invariant(same(scalar, object[name]!), "the readers disagree on \(name): \(scalar) vs \(object[name]!)")
            }
        case (.failure, .failure):
            break
        case (.success, .failure(let failure)):
            invariant(
                failure.problem.hasPrefix("duplicate name"), "only Auth's JSONReader refuses this input: \(failure.description)")
        case (.failure(let error), .success):
            fatalError("fuzz invariant violated: only the join reader refuses this input: \(error)")
        }
    }

    static func same(_ scalar: JSONScalar, _ value: JSONValue) -> Bool {
        switch (scalar, value) {
        case (.string(let left), .string(let right)): return left == right
        case (.number(let left), .number(let right)): return left == right.literal
        case (.bool(let left), .bool(let right)): return left == right
        case (.null, .null): return true
        case (.composite, .object), (.composite, .array): return true
        default: return false
        }
    }
}
