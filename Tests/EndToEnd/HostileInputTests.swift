@preconcurrency import Glibc
import Testing

/// What real attackers and broken clients send, thrown at both gateways of a
/// real `machat`: each gets its documented error or close (exact texts,
/// close codes and HTTP statuses from the README and the code), while a
/// control room keeps chatting within 2 s per round trip, no process
/// restarts, gateway memory stays within 64 MiB of where it started, and
/// every descriptor an attack opened is closed again (`AttackWatch`).
/// Randomness is seeded; timeouts are short (1 s) to keep the suite fast.
@Suite(.serialized, .ownThread) struct HostileInputTests {
    static let quick = ["-join-timeout", "1000", "-handshake-timeout", "1000", "-drain-timeout", "1000"]
    static let maxMessage = 1 << 20
    /// The first message is the join: until it, this is the message limit (`GatewayLimits.maxJoinBytes`).
    static let maxJoin = 4096

    /// What a connection that has not joined gets for a first message over
    /// 4096 bytes: TCP's text for an oversized join, then close 1009 with it.
    static func isOversizedJoinRefusal(_ ending: RawWebSocket.Ending) -> Bool {
        let message = Hostile.tooLarge(Self.maxJoin)
        return ending.texts == ["error: \(message)"] && ending.closeCode == 1009
            && ending.closeReason == Self.closeReason(message) && ending.closed
    }

    // MARK: Random bytes

    @Test func randomBytesGetTheirErrorsOnBothGatewaysAndHarmNobody() throws {
        let server = try MachatProcess(Self.quick)
        let watch = try AttackWatch(server, label: "random bytes")
        var random = SeededRandom(seed: 0x6D61_6368_6174_0001)
        var sent = 0
        sent += try randomBytesBeforeATCPJoin(server, &random)
        sent += try randomLinesAfterATCPJoin(server, &random)
        sent += try randomRequestHeads(server, &random)
        sent += try randomWebSocketFrames(server, &random)
        sent += try wellFormedFramesWithRandomPayloads(server, &random)
        print("hostile random bytes: \(sent) bytes thrown")
        #expect(sent > 3 << 20)
        watch.finish()
        #expect(server.stop() == 0)
    }

    /// 48 connections, 32 KiB each: whatever the bytes, one `error:` line about the join, then a close.
    private func randomBytesBeforeATCPJoin(_ server: MachatProcess, _ random: inout SeededRandom) throws -> Int {
        var attackers: [(client: LineClient, bytes: [UInt8])] = []
        for index in 0..<48 {
            var bytes = random.bytes(32 << 10)
            if index % 6 == 0 { bytes[0] = UInt8(ascii: "{") }  // into the join scanner
            let client = try Hostile.lineClient(port: server.tcpPort)
            client.send(bytes)
            attackers.append((client, bytes))
        }
        for (index, attacker) in attackers.enumerated() {
            let line = attacker.client.readLine(timeout: 5) ?? "nothing"
            let first = attacker.bytes.first { ![0x20, 0x09, 0x0D, 0x0A].contains($0) }
            if first == UInt8(ascii: "{") {
                let scanned =
                    (line.hasPrefix("error: invalid join JSON (") && line.hasSuffix(Hostile.joinShape))
                    || line == "error: \(Hostile.tooLarge(4096))"
                #expect(scanned, "TCP attacker \(index): \(line)")
            } else {
                #expect(line == "error: \(Hostile.notAnObject)", "TCP attacker \(index): \(line)")
            }
            shutdown(attacker.client.fd.rawValue, Int32(SHUT_WR))
            #expect(attacker.client.waitForClose(timeout: 3), "TCP attacker \(index) was not closed")
            #expect(attacker.client.readLine(timeout: 0) == nil, "TCP attacker \(index): more after the error")
        }
        return attackers.count * (32 << 10)
    }

    /// 256 KiB of random lines from a joined member: each valid UTF-8 line is
    /// relayed as it is (to a WebSocket member too), each invalid one is
    /// refused with its error, and the member stays.
    private func randomLinesAfterATCPJoin(_ server: MachatProcess, _ random: inout SeededRandom) throws -> Int {
        let ear = try WebSocketTestClient.joined(port: server.wsPort, name: "Ear", room: "noise")
        let noisy = try LineClient.joined(port: server.tcpPort, name: "Rnd", room: "noise")
        Hostile.boundSends(noisy.fd)
        #expect(ear.readText(timeout: 5)?.hasPrefix("Rnd:probe-") == true)
        let noise = random.bytes(256 << 10) + Array("\nend-of-noise\n".utf8)
        var expected: [String] = []
        var invalid = 0
        for piece in noise.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            let line = piece.last == 0x0D ? piece.dropLast() : piece
            try #require(line.count <= 65536, "the seed makes a line longer than the limit")
            if let text = String(validating: line, as: UTF8.self) { expected.append("Rnd:\(text)") } else { invalid += 1 }
        }
        noisy.send(noise)
        var delivered: [String] = []
        var refused = 0
        let deadline = MachatProcess.now() + 15
        while delivered.last != "Rnd:end-of-noise", let line = noisy.readLine(timeout: deadline - MachatProcess.now()) {
            if line == "error: \(Hostile.invalidUTF8Line)" { refused += 1 } else { delivered.append(line) }
        }
        #expect(refused == invalid)
        let difference = Hostile.firstDifference(delivered, expected)
        #expect(difference == nil, "the sender's deliveries differ \(difference ?? "")")
        let heard = Hostile.firstDifference(ear.readTexts(expected.count, timeout: 10), expected.map { $0 + "\n" })
        #expect(heard == nil, "the WebSocket member's deliveries differ \(heard ?? "")")
        #expect(!noisy.isClosed && !ear.isClosed)
        print("hostile random lines: \(expected.count) relayed, \(invalid) refused as invalid UTF-8")
        return noise.count
    }

    /// 32 random 32 KiB request heads at the WebSocket port: each gets one of
    /// the exact HTTP refusals of a malformed head (400 or 431), then a close.
    private func randomRequestHeads(_ server: MachatProcess, _ random: inout SeededRandom) throws -> Int {
        var clients: [LineClient] = []
        for _ in 0..<32 {
            let client = try Hostile.lineClient(port: server.wsPort)
            client.send(random.bytes(32 << 10))
            clients.append(client)
        }
        var statuses: [String: Int] = [:]
        for (index, client) in clients.enumerated() {
            let response = client.readToClose(timeout: 5)
            #expect(Hostile.malformedHeadRefusals.contains(response), "head \(index): \(response.prefix(300))")
            statuses[String(response.prefix(12)), default: 0] += 1
        }
        print("hostile random request heads: \(statuses)")
        return clients.count * (32 << 10)
    }

    /// Random bytes after the upgrade, before and after a join: the close
    /// code the first header calls for (1002, 1009; before the join a message
    /// over 4096 bytes is an oversized join, with its error), or, where the
    /// header is acceptable, some close within the join timeout; a joined
    /// attacker's name is free again afterwards.
    private func randomWebSocketFrames(_ server: MachatProcess, _ random: inout SeededRandom) throws -> Int {
        var attackers: [(client: RawWebSocket, bytes: [UInt8], name: String?)] = []
        for index in 0..<40 {
            let name: String? = index < 32 ? nil : "Rf\(index)"
            let client =
                try name.map { try RawWebSocket.joined(port: server.wsPort, name: $0, room: "noise-ws") }
                ?? RawWebSocket(port: server.wsPort, seed: UInt64(index))
            var bytes = random.bytes(16 << 10)
            // Some start as masked text or binary frames of random length, so
            // the payload checks (UTF-8, size, binary, join) are reached too.
            if index % 4 == 1 || index % 4 == 2 {
                bytes[0] = index % 4 == 1 ? 0x81 : 0x82
                bytes[1] |= 0x80
            }
            client.send(bytes)
            attackers.append((client, bytes, name))
        }
        var codes: [UInt16: Int] = [:]
        for (index, attacker) in attackers.enumerated() {
            let ending = attacker.client.readToEnd(timeout: 5)
            codes[ending.closeCode ?? 0, default: 0] += 1
            let limit = attacker.name == nil ? Self.maxJoin : Self.maxMessage
            if let code = RawFrame.closeCodeForFirstHeader(of: attacker.bytes, maxMessage: limit) {
                if code == 1009 && attacker.name == nil {
                    #expect(Self.isOversizedJoinRefusal(ending), "frames \(index): \(ending)")
                } else {
                    #expect(ending.closeCode == code && ending.texts.isEmpty && ending.closed, "frames \(index): \(ending)")
                }
            } else {
                #expect(ending.closeCode != nil && ending.closed, "frames \(index): \(ending)")
            }
        }
        for name in attackers.compactMap(\.name) {
            _ = try RawWebSocket.joined(port: server.wsPort, name: name, room: "noise-ws")
        }
        print("hostile random frames: close codes \(codes)")
        return attackers.count * (16 << 10)
    }

    /// Masked frames of random payloads: text that is not UTF-8 is closed with
    /// 1007 (RFC 6455 §8.1), binary gets its error and 1003, joined or not.
    private func wellFormedFramesWithRandomPayloads(_ server: MachatProcess, _ random: inout SeededRandom) throws -> Int {
        for index in 0..<8 {
            let client =
                index < 4
                ? try RawWebSocket(port: server.wsPort)
                : try RawWebSocket.joined(port: server.wsPort, name: "Rp\(index)", room: "noise-ws")
            let payload = random.bytes(4096)
            let isText = index % 2 == 0
            client.sendFrame(opcode: isText ? RawFrame.text : RawFrame.binary, payload: payload)
            let ending = client.readToEnd(timeout: 5)
            if isText {
                try #require(String(validating: payload, as: UTF8.self) == nil)
                #expect(
                    ending.closeCode == 1007 && ending.closeReason == "" && ending.texts.isEmpty && ending.closed, "\(ending)")
            } else {
                #expect(ending.texts == ["error: \(Hostile.binaryRefused)"], "\(ending)")
                #expect(ending.closeCode == 1003 && ending.closeReason == Hostile.binaryRefused && ending.closed, "\(ending)")
            }
        }
        return 8 * 4096
    }

    // MARK: Malformed frames

    @Test func malformedFramesAreClosedWithTheirProtocolCodesBeforeAndAfterTheJoin() throws {
        let server = try MachatProcess(Self.quick)
        let watch = try AttackWatch(server, label: "malformed frames")
        let cases = MalformedFrameCase.all
        // Before a join: every case on a connection of its own, all at once.
        var clients: [RawWebSocket] = []
        for (index, frame) in cases.enumerated() {
            let client = try RawWebSocket(port: server.wsPort, seed: UInt64(index))
            client.send(frame.bytes)
            clients.append(client)
        }
        for (client, frame) in zip(clients, cases) {
            let ending = client.readToEnd(timeout: 5)
            if frame.code == 1009 {
                // A message over 4096 bytes as the first one is an oversized join.
                #expect(Self.isOversizedJoinRefusal(ending), "\(frame.what): \(ending)")
                continue
            }
            #expect(ending.closeCode == frame.code, "\(frame.what): \(ending)")
            #expect(ending.closeReason == frame.reason && ending.texts.isEmpty && ending.closed, "\(frame.what): \(ending)")
        }
        clients.removeAll()
        // After a join: the member is closed the same way, with no text, and
        // leaves (its name is free again).
        for (index, frame) in cases.enumerated() where index % 3 == 0 || frame.code == 1009 {
            let member = try RawWebSocket.joined(port: server.wsPort, name: "Frm\(index)", room: "frames")
            member.send(frame.bytes)
            let ending = member.readToEnd(timeout: 5)
            #expect(ending.closeCode == frame.code && ending.texts.isEmpty && ending.closed, "joined, \(frame.what): \(ending)")
            _ = try RawWebSocket.joined(port: server.wsPort, name: "Frm\(index)", room: "frames")
        }
        try lengthsNeedNotBeMinimal(server)
        try endlessFragmentsAreClosedWith1009(server)
        try connectionsThatHaveNotJoinedHoldAtMostAJoin(server)
        watch.finish()
        #expect(server.stop() == 0)
    }

    /// RFC 6455 §5.2 asks for the minimal length encoding; the gateway also
    /// takes longer forms (what the code does; it is lenient here).
    private func lengthsNeedNotBeMinimal(_ server: MachatProcess) throws {
        let member = try RawWebSocket.joined(port: server.wsPort, name: "Long", room: "frames")
        member.send(
            RawFrame.frame(
                opcode: RawFrame.text, payload: Array("sixteen".utf8), key: MalformedFrameCase.key, encoding: .sixteenBits))
        member.send(
            RawFrame.frame(
                opcode: RawFrame.text, payload: Array("sixty-four".utf8), key: MalformedFrameCase.key, encoding: .sixtyFourBits))
        #expect(member.nextText(timeout: 5) == "Long:sixteen\n")
        #expect(member.nextText(timeout: 5) == "Long:sixty-four\n")
    }

    /// A message that keeps growing in continuation frames is closed with 1009
    /// the moment it would pass its limit: 4096 bytes before the join (the
    /// first message is the join), 1 MiB after it; exactly the limit is a message.
    private func endlessFragmentsAreClosedWith1009(_ server: MachatProcess) throws {
        func fragments(_ count: Int, of size: Int, finishing: Bool) -> [UInt8] {
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: size)
            var bytes = RawFrame.frame(opcode: RawFrame.text, payload: chunk, fin: false, key: MalformedFrameCase.key)
            for index in 1..<count {
                bytes += RawFrame.frame(
                    opcode: RawFrame.continuation, payload: chunk, fin: finishing && index == count - 1,
                    key: MalformedFrameCase.key)
            }
            return bytes
        }
        let oneMore = RawFrame.frame(opcode: RawFrame.continuation, payload: [0x61], fin: false, key: MalformedFrameCase.key)
        // Before the join, 64 fragments of 64 bytes are exactly 4096, still open;
        // one byte more is an oversized join: its error, then 1009.
        let growing = try RawWebSocket(port: server.wsPort)
        growing.send(fragments(64, of: 64, finishing: false))
        #expect(growing.nextFrame(timeout: 0.2) == nil && !growing.isClosed, "4096 bytes of fragments are within the limit")
        growing.send(oneMore)
        let grown = growing.readToEnd(timeout: 5)
        #expect(Self.isOversizedJoinRefusal(grown), "\(grown)")
        // The same 4096 bytes finished are a message: taken as a join (not an object).
        let finished = try RawWebSocket(port: server.wsPort)
        finished.send(fragments(64, of: 64, finishing: true))
        let refused = finished.readToEnd(timeout: 5)
        #expect(refused.texts == ["error: \(Hostile.notAnObject)"] && refused.closeCode == 1008, "\(refused)")
        // After the join, 16 fragments of 64 KiB are exactly 1 MiB, still open;
        // one byte more is 1009 with no text, a frame-level error.
        let member = try RawWebSocket.joined(port: server.wsPort, name: "Growing", room: "frames")
        member.send(fragments(16, of: 1 << 16, finishing: false))
        #expect(member.nextFrame(timeout: 0.2) == nil && !member.isClosed, "1 MiB of fragments is within the limit")
        member.send(oneMore)
        let ended = member.readToEnd(timeout: 5)
        #expect(ended.closeCode == 1009 && ended.closeReason == "" && ended.texts.isEmpty && ended.closed, "\(ended)")
        _ = try RawWebSocket.joined(port: server.wsPort, name: "Growing", room: "frames")
        // A joined member sending 16-byte fragments without end: 1009 after 65,536 of them.
        let endless = try RawWebSocket.joined(port: server.wsPort, name: "Endless", room: "frames")
        let small = [UInt8](repeating: UInt8(ascii: "b"), count: 16)
        var stream = RawFrame.frame(opcode: RawFrame.text, payload: small, fin: false, key: MalformedFrameCase.key)
        let continuation = RawFrame.frame(opcode: RawFrame.continuation, payload: small, fin: false, key: MalformedFrameCase.key)
        stream.reserveCapacity(continuation.count * 65_600)
        for _ in 0..<65_540 { stream += continuation }
        endless.send(stream)
        let endlessEnding = endless.readToEnd(timeout: 5)
        #expect(endlessEnding.closeCode == 1009 && endlessEnding.texts.isEmpty && endlessEnding.closed, "\(endlessEnding)")
        _ = try RawWebSocket.joined(port: server.wsPort, name: "Endless", room: "frames")
    }

    /// Connections that never joined can hold at most a 4096-byte join each:
    /// 24 that try to hold 1 MiB − 1 byte unfinished are refused at once as
    /// oversized joins, and the gateway's memory does not grow by their
    /// megabytes; 256 that hold an unfinished join of exactly 4096 bytes stay
    /// until the join timeout closes them with its error, costing a few KiB each.
    private func connectionsThatHaveNotJoinedHoldAtMostAJoin(_ server: MachatProcess) throws {
        let gateway = server.children(named: "machat-ws-gateway")[0]
        let before = MachatProcess.residentKiB(gateway) ?? 0
        let chunk = [UInt8](repeating: UInt8(ascii: "c"), count: 1 << 16)
        var message = RawFrame.frame(
            opcode: RawFrame.text, payload: Array(chunk.dropLast()), fin: false, key: MalformedFrameCase.key)
        for _ in 1..<16 {
            message += RawFrame.frame(opcode: RawFrame.continuation, payload: chunk, fin: false, key: MalformedFrameCase.key)
        }
        var attempts: [RawWebSocket] = []
        for _ in 0..<24 {
            let attempt = try RawWebSocket(port: server.wsPort)
            attempt.send(message)
            attempts.append(attempt)
        }
        for attempt in attempts {
            let ending = attempt.readToEnd(timeout: 3)
            #expect(Self.isOversizedJoinRefusal(ending), "\(ending)")
        }
        let afterAttempts = MachatProcess.residentKiB(gateway) ?? 0
        attempts.removeAll()
        #expect(afterAttempts - before < 8 << 10, "24 x (1 MiB - 1) attempts: RSS \(before) -> \(afterAttempts) KiB")

        let join = [UInt8](repeating: UInt8(ascii: "j"), count: Self.maxJoin)
        let unfinished = RawFrame.frame(opcode: RawFrame.text, payload: join, fin: false, key: MalformedFrameCase.key)
        let start = MachatProcess.residentKiB(gateway) ?? 0
        var holders: [RawWebSocket] = []
        for _ in 0..<256 {
            let holder = try RawWebSocket(port: server.wsPort)
            holder.send(unfinished)
            holders.append(holder)
        }
        var held = start
        _ = MachatProcess.wait(timeout: 0.3) {
            held = max(held, MachatProcess.residentKiB(gateway) ?? 0)
            return false
        }
        #expect(held - start < 256 * 8, "256 unfinished 4096-byte joins: RSS \(start) -> \(held) KiB")
        for holder in holders {
            let ending = holder.readToEnd(timeout: 3)
            #expect(ending.texts == ["error: \(Hostile.noJoin(seconds: 1))"] && ending.closeCode == 1008, "\(ending)")
        }
        holders.removeAll()
        print(
            "hostile unfinished messages: 24 x (1 MiB - 1) refused: ws-gateway RSS \(before) -> \(afterAttempts) KiB; "
                + "256 x 4096 held: \(start) -> \(held) KiB (\((held - start) * 1024 / 256) bytes each)"
        )
    }

    // MARK: Header floods

    @Test func headerFloodsAreRefusedWith431AndEndlessHeadsWith408WithinTheHandshakeTimeout() throws {
        let server = try MachatProcess(Self.quick)
        let watch = try AttackWatch(server, label: "header floods")
        let port = server.wsPort
        // The slow ones first, so their timeouts run while the floods are thrown.
        let started = MachatProcess.now()
        let silent = try Hostile.lineClient(port: port)
        let trickle = try Hostile.lineClient(port: port)
        trickle.send("GET /mychat HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: b")

        let host = "GET /mychat HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        var floods: [(what: String, request: String)] = [
            ("10,000 headers", host + (0..<10_000).map { "X-Flood-\($0): v\r\n" }.joined() + "\r\n"),
            ("a 1 MiB header line", host + "X-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n"),
            ("a 1 MiB request line", "GET /" + String(repeating: "a", count: 1 << 20) + " HTTP/1.1\r\n\r\n"),
            ("a header that never ends", host + "X-Endless: " + String(repeating: "b", count: 256 << 10)),
        ]
        // The head may be 16 KiB in all (WebSocketOptions.maxHeadBytes): one byte more is too large.
        let upgrade = RawWebSocket.upgradeRequest(port: port, extra: "X-Pad: \r\n")
        let padding = (16 << 10) - upgrade.utf8.count
        floods.append(
            (
                "a 16,385-byte head",
                RawWebSocket.upgradeRequest(port: port, extra: "X-Pad: \(String(repeating: "p", count: padding + 1))\r\n")
            ))
        for flood in floods {
            let client = try Hostile.lineClient(port: port)
            let sentAt = MachatProcess.now()
            client.send(flood.request)
            let response = client.readToClose(timeout: 5)
            let elapsed = MachatProcess.now() - sentAt
            #expect(response == Hostile.headTooLarge, "\(flood.what): \(response.prefix(200))")
            #expect(elapsed < 1, "\(flood.what): answered after \(elapsed) s, past the handshake timeout")
        }
        let exact = Array(
            RawWebSocket.upgradeRequest(port: port, extra: "X-Pad: \(String(repeating: "p", count: padding))\r\n").utf8)
        try #require(exact.count == 16 << 10)
        do {
            let fits = try RawWebSocket(port: port, request: exact)
            fits.sendText("{\"name\":\"Padded\",\"room\":\"heads\"}")
            fits.sendText("16 KiB of head")
            #expect(fits.nextText(timeout: 5) == "Padded:16 KiB of head\n")
        }

        // An HTTP request at the TCP port is a join that is not an object.
        let lost = try Hostile.lineClient(port: server.tcpPort)
        lost.send(floods[0].request)
        #expect(lost.readLine(timeout: 5) == "error: \(Hostile.notAnObject)")
        shutdown(lost.fd.rawValue, Int32(SHUT_WR))
        #expect(lost.waitForClose(timeout: 3))

        // The slow ones: 408 at the handshake timeout, however the bytes trickle in.
        var trickled = 0
        while !trickle.waitForClose(timeout: 0.05) && MachatProcess.now() - started < 3 {
            trickle.send("b")
            trickled += 1
        }
        let trickleAfter = MachatProcess.now() - started
        #expect(trickle.readToClose(timeout: 1) == Hostile.handshakeTimedOut)
        #expect(trickleAfter > 0.9 && trickleAfter < 2.5, "the trickling head was closed after \(trickleAfter) s")
        #expect(silent.readToClose(timeout: 3) == Hostile.handshakeTimedOut)
        let silentAfter = MachatProcess.now() - started
        #expect(silentAfter > 0.9 && silentAfter < 3, "the silent connection was closed after \(silentAfter) s")
        print("hostile header floods: trickled \(trickled) bytes, closed after \(Int(trickleAfter * 1000)) ms")
        watch.finish()
        #expect(server.stop() == 0)
    }

    // MARK: Hostile joins

    @Test func hostileJoinsGetTheirDocumentedErrorsOnBothGatewaysAndJoinsThatNeverEndTimeOut() throws {
        let server = try MachatProcess(Self.quick)
        let watch = try AttackWatch(server, label: "hostile joins")
        try joinsThatNeverEndGetTheJoinTimeout(server)
        let cases = HostileJoinCase.all
        var tcpClients: [LineClient] = []
        var webClients: [RawWebSocket] = []
        for (index, join) in cases.enumerated() {
            // Bytes built (and masked) before connecting: a debug build takes
            // a while over a 1 MiB frame, and the join timeout is 1 s.
            let line = join.join("tcp-\(index)") + [0x0A]
            let frame = RawFrame.frame(
                opcode: RawFrame.text, payload: join.join("ws-\(index)"), fin: true,
                key: [UInt8(truncatingIfNeeded: index), 0x5A, 0xA5, 0x3C])
            let tcp = try Hostile.lineClient(port: server.tcpPort)
            tcp.send(line)
            tcpClients.append(tcp)
            let web = try RawWebSocket(port: server.wsPort, seed: UInt64(index))
            web.send(frame)
            webClients.append(web)
        }
        for (index, join) in cases.enumerated() {
            expect(tcpClients[index], join.tcp, "TCP, \(join.what)")
            expect(webClients[index], join.webSocket, "WebSocket, \(join.what)")
        }
        print("hostile joins: \(cases.count) cases on each gateway")
        tcpClients.removeAll()
        webClients.removeAll()
        watch.finish()
        #expect(server.stop() == 0)
    }

    private func expect(_ client: LineClient, _ outcome: HostileJoinCase.Outcome, _ what: String) {
        switch outcome {
        case .joined(let name):
            client.send("probe\n")
            #expect(client.readLine(timeout: 5) == "\(name):probe", "\(what)")
        case .refused(let message):
            #expect(client.readLine(timeout: 5) == "error: \(message)", "\(what)")
        case .refusedJSON(let object, _):
            #expect(client.readLine(timeout: 5) == object, "\(what)")
        case .closed, .refusedOversized:
            Issue.record("\(what): TCP has no frame layer")
        }
        shutdown(client.fd.rawValue, Int32(SHUT_WR))
        #expect(client.waitForClose(timeout: 3), "\(what): not closed")
        #expect(client.readLine(timeout: 0) == nil, "\(what): more than one line")
    }

    private func expect(_ client: RawWebSocket, _ outcome: HostileJoinCase.Outcome, _ what: String) {
        switch outcome {
        case .joined(let name):
            client.sendText("probe")
            #expect(client.nextText(timeout: 5) == "\(name):probe\n", "\(what)")
        case .refused(let message):
            let ending = client.readToEnd(timeout: 5)
            #expect(ending.texts == ["error: \(message)"], "\(what): \(ending)")
            #expect(
                ending.closeCode == 1008 && ending.closeReason == Self.closeReason(message) && ending.closed, "\(what): \(ending)"
            )
        case .refusedJSON(let object, let message):
            let ending = client.readToEnd(timeout: 5)
            #expect(ending.texts == [object], "\(what): \(ending)")
            #expect(
                ending.closeCode == 1008 && ending.closeReason == Self.closeReason(message) && ending.closed, "\(what): \(ending)"
            )
        case .refusedOversized(let message):
            let ending = client.readToEnd(timeout: 5)
            #expect(ending.texts == ["error: \(message)"], "\(what): \(ending)")
            #expect(
                ending.closeCode == 1009 && ending.closeReason == Self.closeReason(message) && ending.closed, "\(what): \(ending)"
            )
        case .closed(let code):
            let ending = client.readToEnd(timeout: 5)
            #expect(
                ending.texts.isEmpty && ending.closeCode == code && ending.closeReason == "" && ending.closed,
                "\(what): \(ending)")
        }
    }

    /// The close reason of an error: its first 100 bytes (`WebSocketSession.sendError`).
    static func closeReason(_ message: String) -> String {
        String(decoding: Array(message.utf8.prefix(100)), as: UTF8.self)
    }

    /// A join left open — an object never closed on TCP, a message never
    /// finished on WebSocket — trickling or silent, is closed at the join
    /// timeout (1 s) with its error; bytes trickling in do not extend it.
    private func joinsThatNeverEndGetTheJoinTimeout(_ server: MachatProcess) throws {
        let started = MachatProcess.now()
        let tcpOpen = try Hostile.lineClient(port: server.tcpPort)
        tcpOpen.send(#"{"name":"Open","room":""#)
        let tcpTrickle = try Hostile.lineClient(port: server.tcpPort)
        tcpTrickle.send(#"{"name":"Trickle","room":""#)
        let tcpSilent = try Hostile.lineClient(port: server.tcpPort)
        let webOpen = try RawWebSocket(port: server.wsPort)
        webOpen.sendFrame(opcode: RawFrame.text, payload: Array(#"{"name":"Open""#.utf8), fin: false)
        let webTrickle = try RawWebSocket(port: server.wsPort)
        webTrickle.sendFrame(opcode: RawFrame.text, payload: Array(#"{"name":"Trickle","room":""#.utf8), fin: false)
        let webSilent = try RawWebSocket(port: server.wsPort)
        let tcp = [tcpOpen, tcpTrickle, tcpSilent]
        let web = [webOpen, webTrickle, webSilent]
        var closedAt: [Int: Double] = [:]
        var trickled = 0
        while closedAt.count < 6 && MachatProcess.now() - started < 4 {
            if !tcpTrickle.isClosed { tcpTrickle.send("a") }
            if !webTrickle.isClosed { webTrickle.sendFrame(opcode: RawFrame.continuation, payload: [0x61], fin: false) }
            trickled += 1
            for (index, client) in tcp.enumerated() where closedAt[index] == nil && client.waitForClose(timeout: 0.01) {
                closedAt[index] = MachatProcess.now() - started
            }
            for (index, client) in web.enumerated() where closedAt[3 + index] == nil && client.waitForClose(timeout: 0.01) {
                closedAt[3 + index] = MachatProcess.now() - started
            }
            usleep(30_000)  // the trickle's pace
        }
        let message = Hostile.noJoin(seconds: 1)
        for (index, client) in tcp.enumerated() {
            #expect(client.readLine(timeout: 1) == "error: \(message)", "TCP never-ending join \(index)")
        }
        for (index, client) in web.enumerated() {
            let ending = client.readToEnd(timeout: 1)
            #expect(ending.texts == ["error: \(message)"], "WebSocket never-ending join \(index): \(ending)")
            #expect(ending.closeCode == 1008 && ending.closeReason == Self.closeReason(message), "\(ending)")
        }
        for index in 0..<6 {
            let after = closedAt[index] ?? 99
            #expect(after > 0.9 && after < 2.5, "never-ending join \(index) closed after \(after) s")
        }
        print(
            "hostile never-ending joins: closed after \(closedAt.sorted { $0.key < $1.key }.map { Int($0.value * 1000) }) ms, \(trickled) bytes trickled"
        )
    }

    // MARK: Ping floods

    @Test func pingFloodsAreAnsweredInOrderAndAFloodThatNeverReadsIsCutAsASlowConsumer() throws {
        let server = try MachatProcess(Self.quick)
        let watch = try AttackWatch(server, label: "ping floods")
        try pingFloodsAreAnsweredInOrder(server)
        watch.finish()
        #expect(server.stop() == 0)
    }

    /// Thousands of pings in one read, pings of 125 bytes, pings between the
    /// fragments of a message: each answered with its pong, in order, and the
    /// member keeps chatting, also after a deaf pinger was cut beside it.
    private func pingFloodsAreAnsweredInOrder(_ server: MachatProcess) throws {
        let pinger = try RawWebSocket.joined(port: server.wsPort, name: "Pinger", room: "pings")
        // 10,000 empty pings in one write (60,000 bytes: one or two reads).
        var burst: [UInt8] = []
        for _ in 0..<10_000 { burst += RawFrame.frame(opcode: RawFrame.ping, payload: [], key: pinger.nextKey()) }
        var started = MachatProcess.now()
        pinger.send(burst)
        var pongs = 0
        var others = 0
        while pongs + others < 10_000, let frame = pinger.nextFrame(timeout: 5) {
            if frame.opcode == RawFrame.pong && frame.payload.isEmpty { pongs += 1 } else { others += 1 }
        }
        #expect(pongs == 10_000 && others == 0, "\(pongs) pongs, \(others) other frames")
        let emptyMilliseconds = Int((MachatProcess.now() - started) * 1000)
        // 2,000 pings of 125 bytes, each payload its own: the pongs echo them in order.
        var random = SeededRandom(seed: 0x7069_6E67)
        var payloads: [[UInt8]] = []
        var full: [UInt8] = []
        for index in 0..<2000 {
            var payload = random.bytes(125)
            payload[0] = UInt8(index >> 8)
            payload[1] = UInt8(index & 0xFF)
            payloads.append(payload)
            full += RawFrame.frame(opcode: RawFrame.ping, payload: payload, key: pinger.nextKey())
        }
        started = MachatProcess.now()
        pinger.send(full)
        var echoed: [[UInt8]] = []
        while echoed.count < payloads.count, let frame = pinger.nextFrame(timeout: 5), frame.opcode == RawFrame.pong {
            echoed.append(frame.payload)
        }
        let pongDifference = Hostile.firstDifference(echoed, payloads)
        #expect(pongDifference == nil, "the pongs differ from the pings \(pongDifference ?? "")")
        let fullMilliseconds = Int((MachatProcess.now() - started) * 1000)
        // Pings between the fragments of a message (RFC 6455 §5.4) are answered at once.
        pinger.send(
            RawFrame.frame(opcode: RawFrame.text, payload: Array("frag-".utf8), fin: false, key: pinger.nextKey())
                + RawFrame.frame(opcode: RawFrame.ping, payload: Array("p1".utf8), key: pinger.nextKey())
                + RawFrame.frame(opcode: RawFrame.continuation, payload: Array("ment-".utf8), fin: false, key: pinger.nextKey())
                + RawFrame.frame(opcode: RawFrame.ping, payload: Array("p2".utf8), key: pinger.nextKey())
                + RawFrame.frame(opcode: RawFrame.continuation, payload: Array("ed".utf8), key: pinger.nextKey()))
        #expect(pinger.nextFrame(timeout: 5)?.payload == Array("p1".utf8))
        #expect(pinger.nextFrame(timeout: 5)?.payload == Array("p2".utf8))
        #expect(pinger.nextText(timeout: 5) == "Pinger:frag-ment-ed\n")
        try aPingFloodThatNeverReadsIsCut(server)
        pinger.sendText("after the floods")
        #expect(pinger.nextText(timeout: 5) == "Pinger:after the floods\n")
        print(
            "hostile ping floods: 10,000 empty pings answered in \(emptyMilliseconds) ms, 2,000 of 125 bytes in \(fullMilliseconds) ms"
        )
    }

    /// A member that sends pings and never reads its pongs: cut once its
    /// pongs pass -max-outbound (4 MiB), like any slow consumer.
    private func aPingFloodThatNeverReadsIsCut(_ server: MachatProcess) throws {
        let deaf = try RawWebSocket(port: server.wsPort, receiveBuffer: 4096)
        deaf.sendText(#"{"name":"Deaf","room":"pings"}"#)
        var batch: [UInt8] = []
        for _ in 0..<512 {
            batch += RawFrame.frame(opcode: RawFrame.ping, payload: .init(repeating: 0x7A, count: 125), key: deaf.nextKey())
        }
        var sent = 0
        let started = MachatProcess.now()
        while sent < 64 << 20 && MachatProcess.now() - started < 15 && deaf.send(batch) { sent += batch.count }
        let elapsed = MachatProcess.now() - started
        #expect(server.waitForLog("slow consumer disconnected", timeout: 5), "the deaf pinger was not cut")
        #expect(sent < 64 << 20 && elapsed < 15, "still sending after \(sent) bytes and \(elapsed) s")
        print("hostile deaf pinger: cut after \(sent) bytes of pings in \(Int(elapsed * 1000)) ms")
    }

    // MARK: Half-open and vanishing clients

    @Test func halfOpenSilentAndVanishingClientsAreClosedAndLeaveNothingBehind() throws {
        let server = try MachatProcess(Self.quick + ["-ping-interval", "300"])
        let watch = try AttackWatch(server, label: "half-open clients")
        try halfClosedClientsAreClosedAtOnce(server)
        try aMemberThatStopsAnsweringIsClosedByThePingSweep(server)
        try manyIdleConnectionsAreClosedByTheirTimeouts(server)
        try connectionsThatOpenAndVanish(server)
        watch.finish()
        #expect(server.stop() == 0)
    }

    /// A client that shuts its sending side (EOF) is closed at once, without
    /// an error: nothing more can come from it. A line sent before the EOF
    /// still reaches the room.
    private func halfClosedClientsAreClosedAtOnce(_ server: MachatProcess) throws {
        let inputs: [(port: UInt16, bytes: String)] = [
            (server.tcpPort, ""), (server.tcpPort, #"{"name":"Ha"#), (server.wsPort, ""),
            (server.wsPort, "GET /mychat HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        ]
        for (index, input) in inputs.enumerated() {
            let started = MachatProcess.now()
            let client = try Hostile.lineClient(port: input.port)
            client.send(input.bytes)
            shutdown(client.fd.rawValue, Int32(SHUT_WR))
            let answer = client.readToClose(timeout: 3)
            let elapsed = MachatProcess.now() - started
            #expect(answer.isEmpty && elapsed < 0.9, "half-closed client \(index): \"\(answer)\" after \(elapsed) s")
        }
        let upgraded = try RawWebSocket(port: server.wsPort)
        shutdown(upgraded.fd.rawValue, Int32(SHUT_WR))
        #expect(upgraded.waitForClose(timeout: 0.9))
        let ending = upgraded.readToEnd(timeout: 1)
        #expect(ending.texts.isEmpty && ending.closeCode == nil && ending.closeReason == nil, "\(ending)")

        let ear = try LineClient.joined(port: server.tcpPort, name: "HalfEar", room: "half")
        let half = try Hostile.lineClient(port: server.tcpPort)
        half.send("{\"name\":\"Half\",\"room\":\"half\"}\nhello before the EOF\n")
        shutdown(half.fd.rawValue, Int32(SHUT_WR))
        #expect(ear.readLine(timeout: 5) == "Half:hello before the EOF")
        #expect(half.waitForClose(timeout: 3))
    }

    /// A joined WebSocket member that stops reading and answering (a stopped
    /// process, a dead peer) is closed by the ping sweep within about two
    /// intervals (300 ms here) with close 1001 "ping timeout", and its name is
    /// free again; one that answers stays.
    private func aMemberThatStopsAnsweringIsClosedByThePingSweep(_ server: MachatProcess) throws {
        let awake = try WebSocketTestClient.joined(port: server.wsPort, name: "Awake", room: "naps")
        let sleeper = try RawWebSocket.joined(port: server.wsPort, name: "Sleeper", room: "naps")
        let asleep = MachatProcess.now()
        var heard: [String] = []
        let closed = MachatProcess.wait(timeout: 3) {
            // Reading answers the sweep's pings: the awake member stays.
            if let text = awake.readText(timeout: 0.02) { heard.append(text) }
            return server.log.split(separator: "\n").contains {
                $0.contains("websocket peer did not answer a ping; closing") && $0.contains("name=Sleeper")
            }
        }
        let after = MachatProcess.now() - asleep
        #expect(closed && after > 0.3 && after < 2.5, "the sleeper was closed after \(after) s")
        _ = try RawWebSocket.joined(port: server.wsPort, name: "Sleeper", room: "naps")
        // The sleeper wakes up: the pings it ignored, then the close frame that
        // ended the connection (flushed before the close) and the end.
        let ending = sleeper.readToEnd(timeout: 2)
        #expect(ending.pings >= 1 && ending.closed, "\(ending)")
        #expect(ending.closeCode == 1001 && ending.closeReason == "ping timeout", "\(ending)")
        // The member that answers pings is still there after several sweeps.
        #expect(heard.first?.hasPrefix("Sleeper:probe-") == true, "\(heard)")
        #expect(!awake.isClosed)
        awake.sendText("still awake")
        let texts = awake.readTexts(2, timeout: 5)
        #expect(texts.first?.hasPrefix("Sleeper:probe-") == true && texts.last == "Awake:still awake\n", "\(texts)")
        print("hostile sleeper: closed by the ping sweep \(Int(after * 1000)) ms after it went silent")
    }

    /// 300 silent TCP connections get the join timeout's error and 300 silent
    /// WebSocket-port connections a 408, all at about 1 s.
    private func manyIdleConnectionsAreClosedByTheirTimeouts(_ server: MachatProcess) throws {
        let started = MachatProcess.now()
        var tcp: [LineClient] = []
        var web: [LineClient] = []
        for _ in 0..<300 {
            tcp.append(try Hostile.lineClient(port: server.tcpPort))
            web.append(try Hostile.lineClient(port: server.wsPort))
        }
        let first = tcp[0].readLine(timeout: 4)
        let firstAfter = MachatProcess.now() - started
        #expect(first == "error: \(Hostile.noJoin(seconds: 1))")
        #expect(firstAfter > 0.9 && firstAfter < 3, "the first idle connection was closed after \(firstAfter) s")
        for (index, client) in tcp.enumerated().dropFirst() {
            let line = client.readLine(timeout: 3)
            #expect(line == "error: \(Hostile.noJoin(seconds: 1))", "idle TCP connection \(index): \(line ?? "nothing")")
        }
        for (index, client) in web.enumerated() {
            let response = client.readToClose(timeout: 3)
            #expect(response == Hostile.handshakeTimedOut, "idle WebSocket connection \(index): \(response.prefix(100))")
        }
        print("hostile idle: 600 connections closed by their timeouts within \(Int((MachatProcess.now() - started) * 1000)) ms")
    }

    /// 1,200 connections that open and vanish at once — with a FIN, with a
    /// reset, after a partial join or request head — in batches of 100.
    private func connectionsThatOpenAndVanish(_ server: MachatProcess) throws {
        for batch in 0..<12 {
            var clients: [LineClient] = []
            for index in 0..<100 {
                let isTCP = (batch + index) % 2 == 0
                let client = try Hostile.lineClient(port: isTCP ? server.tcpPort : server.wsPort)
                switch index % 3 {
                case 0: break
                case 1: Hostile.reset(client.fd)
                default:
                    client.send(isTCP ? #"{"name":"Gone","room":""# : "GET /mychat HTTP/1.1\r\nHost: x\r\n")
                    Hostile.reset(client.fd)
                }
                clients.append(client)
            }
            clients.removeAll()  // closes every descriptor (deinit)
        }
    }

    // MARK: Line floods and line limits

    @Test func lineFloodsAreSlowedToTheRateNotDroppedAndLinesOfExactlyTheLimitPass() throws {
        let server = try MachatProcess(Self.quick + ["-rate", "2000", "-burst", "200", "-max-line", "4096"])
        let watch = try AttackWatch(server, label: "line floods")
        try aTCPFloodIsSlowedToTheRate(server)
        try aWebSocketFloodIsSlowedToTheRate(server)
        try tcpLinesOfExactlyTheLimitPassAndOneMoreCloses(server)
        try webSocketLinesOfExactlyTheLimitPassAndOneMoreCloses(server)
        try invalidLinesAreRefusedOneByOne(server)
        watch.finish()
        #expect(server.stop() == 0)
    }

    /// The least time a flood of `count` lines takes past the bucket (rate
    /// 2000/s, burst 200), with a margin for timer rounding.
    private static func floodSeconds(_ count: Int) -> Double {
        0.8 * Double(count - 200) / 2000
    }

    /// 3,000 lines in one write: all delivered in order, the marker after
    /// them no sooner than the rate allows, the connection open, and another
    /// member of the room not slowed.
    private func aTCPFloodIsSlowedToTheRate(_ server: MachatProcess) throws {
        let ear = try WebSocketTestClient.joined(port: server.wsPort, name: "FloodEar", room: "flood")
        let calm = try LineClient.joined(port: server.tcpPort, name: "Calm", room: "flood")
        let flooder = try LineClient.joined(port: server.tcpPort, name: "Flood", room: "flood")
        Hostile.boundSends(flooder.fd)
        let lines = (0..<3000).map { "f-\($0)" }
        let started = MachatProcess.now()
        flooder.send(lines.map { $0 + "\n" }.joined())
        #expect(flooder.readLine(timeout: 5) == "Flood:f-0")
        flooder.send("marker\n")
        calm.send("calm\n")
        let calmSent = MachatProcess.now()
        var flood: [String] = []
        var calmAfter: Double?
        var markerAfter: Double?
        let deadline = started + 15
        while markerAfter == nil || calmAfter == nil, let text = ear.readText(timeout: deadline - MachatProcess.now()) {
            if text == "Calm:calm\n" {
                calmAfter = MachatProcess.now() - calmSent
            } else if text.hasPrefix("Flood:") && !text.hasPrefix("Flood:probe-") {
                flood.append(String(text.dropFirst(6).dropLast()))
                if text == "Flood:marker\n" { markerAfter = MachatProcess.now() - started }
            }
        }
        let heard = Hostile.firstDifference(flood, lines + ["marker"])
        #expect(heard == nil, "the WebSocket member's flood lines differ \(heard ?? "")")
        #expect((markerAfter ?? 0) >= Self.floodSeconds(3000), "the flood took \(markerAfter ?? 0) s")
        #expect((calmAfter ?? 99) < 2, "the calm member's line took \(calmAfter ?? 99) s")
        var own: [String] = []
        while own.last != "Flood:marker", let line = flooder.readLine(timeout: deadline - MachatProcess.now()) {
            if line.hasPrefix("Flood:") { own.append(line) }
        }
        let echoed = Hostile.firstDifference(own, lines.dropFirst().map { "Flood:\($0)" } + ["Flood:marker"])
        #expect(echoed == nil, "the flooder's own lines differ \(echoed ?? "")")
        #expect(!flooder.isClosed)
        print(
            "hostile TCP flood: 3,000 lines took \(Int((markerAfter ?? 0) * 1000)) ms; the calm member's line \(Int((calmAfter ?? 0) * 1000)) ms"
        )
    }

    /// 3,000 one-line messages in one write: the same backpressure.
    private func aWebSocketFloodIsSlowedToTheRate(_ server: MachatProcess) throws {
        let ear = try LineClient.joined(port: server.tcpPort, name: "WFloodEar", room: "wflood")
        let flooder = try RawWebSocket.joined(port: server.wsPort, name: "WFlood", room: "wflood")
        let lines = (0..<3000).map { "w-\($0)" }
        var stream: [UInt8] = []
        for line in lines { stream += RawFrame.frame(opcode: RawFrame.text, payload: Array(line.utf8), key: flooder.nextKey()) }
        let started = MachatProcess.now()
        flooder.send(stream)
        #expect(flooder.nextText(timeout: 5) == "WFlood:w-0\n")
        flooder.sendText("marker")
        var heard: [String] = []
        var markerAfter: Double?
        let deadline = started + 15
        while markerAfter == nil, let line = ear.readLine(timeout: deadline - MachatProcess.now()) {
            guard line.hasPrefix("WFlood:") && !line.hasPrefix("WFlood:probe-") else { continue }
            heard.append(String(line.dropFirst(7)))
            if line == "WFlood:marker" { markerAfter = MachatProcess.now() - started }
        }
        let difference = Hostile.firstDifference(heard, lines + ["marker"])
        #expect(difference == nil, "the TCP member's flood lines differ \(difference ?? "")")
        #expect((markerAfter ?? 0) >= Self.floodSeconds(3000), "the flood took \(markerAfter ?? 0) s")
        var own: [String] = []
        while own.count < 3000, let text = flooder.nextText(timeout: 10) { own.append(text) }
        let echoed = Hostile.firstDifference(own, lines.dropFirst().map { "WFlood:\($0)\n" } + ["WFlood:marker\n"])
        #expect(echoed == nil, "the flooder's own messages differ \(echoed ?? "")")
        #expect(!flooder.isClosed)
        print("hostile WebSocket flood: 3,000 messages took \(Int((markerAfter ?? 0) * 1000)) ms")
    }

    /// 3,000 lines of invalid UTF-8 in one write: each refused with its error
    /// line (the client must know which lines were lost), each spending a
    /// rate token like a relayed line, so the line after them waits for the
    /// bucket to refill; the log tells of the run once at its start and once,
    /// with its count, at its end; the member stays.
    private func invalidLinesAreRefusedOneByOne(_ server: MachatProcess) throws {
        let bad = try LineClient.joined(port: server.tcpPort, name: "Bad", room: "bad")
        Hostile.boundSends(bad.fd)
        let firstLog = "line is not valid UTF-8; not relayed"
        let runLog = "invalid UTF-8 lines refused"
        let logged = server.log.components(separatedBy: firstLog).count - 1
        let runsLogged = server.log.components(separatedBy: runLog).count - 1
        let started = MachatProcess.now()
        bad.send([UInt8](repeating: 0, count: 3000).flatMap { _ in [0xFF, 0x0A] })
        // The marker follows once the refusals began, so it is not in the same
        // read as the invalid lines and meets the bucket they emptied.
        var refused = bad.readLine(timeout: 5) == "error: \(Hostile.invalidUTF8Line)" ? 1 : 0
        bad.send("marker\n")
        var last: String?
        let deadline = started + 15
        while last != "Bad:marker", let line = bad.readLine(timeout: deadline - MachatProcess.now()) {
            if line == "error: \(Hostile.invalidUTF8Line)" { refused += 1 }
            last = line
        }
        let elapsed = MachatProcess.now() - started
        #expect(refused == 3000 && last == "Bad:marker" && !bad.isClosed, "\(refused) refusals, then \(last ?? "nothing")")
        #expect(elapsed >= Self.floodSeconds(3000), "3,000 invalid lines were refused in \(Int(elapsed * 1000)) ms")
        let summary = server.waitForLog(runLog, count: runsLogged + 1, timeout: 5)
        let logLines = server.log.components(separatedBy: firstLog).count - 1 - logged
        #expect(logLines == 1, "\(logLines) log lines for one run of invalid lines")
        let runLines = server.log.split(separator: "\n").filter { $0.contains(runLog) }.dropFirst(runsLogged)
        #expect(summary && runLines.count == 1 && runLines.first?.contains("lines=3000") == true, "\(runLines)")
        // A second run after a valid line is logged again, once.
        bad.send([0xFE, 0x0A, 0xFE, 0x0A] + Array("again\n".utf8))
        #expect(
            bad.readLines(3, timeout: 5) == [
                "error: \(Hostile.invalidUTF8Line)", "error: \(Hostile.invalidUTF8Line)", "Bad:again",
            ])
        #expect(server.waitForLog(firstLog, count: logged + 2, timeout: 5))
        #expect(server.log.components(separatedBy: firstLog).count - 1 == logged + 2)
        #expect(server.waitForLog(runLog, count: runsLogged + 2, timeout: 5))
        print(
            "hostile invalid lines: 3,000 refused in \(Int(elapsed * 1000)) ms (rate 2000/s, burst 200), \(logLines) log line(s), "
                + "\(6000 + 7) bytes in, \(refused * (Hostile.invalidUTF8Line.utf8.count + 8)) bytes of errors out")
    }

    /// -max-line 4096: 4096 bytes pass (with `\n`, `\r\n`, or a `\r` whose
    /// `\n` comes later); 4097 get the error and a close, newline or not.
    private func tcpLinesOfExactlyTheLimitPassAndOneMoreCloses(_ server: MachatProcess) throws {
        let ear = try WebSocketTestClient.joined(port: server.wsPort, name: "EdgeEar", room: "edges")
        let edge = try LineClient.joined(port: server.tcpPort, name: "Edge", room: "edges")
        #expect(ear.readText(timeout: 5)?.hasPrefix("Edge:probe-") == true)
        let exact = String(repeating: "x", count: 4096)
        edge.send(exact + "\n")
        edge.send(exact + "\r\n")
        edge.send(exact + "\r")
        edge.send("\n")
        for ending in ["LF", "CRLF", "CR, then LF"] {
            #expect(edge.readLine(timeout: 5) == "Edge:\(exact)", "4096 bytes and \(ending)")
            #expect(ear.readText(timeout: 5) == "Edge:\(exact)\n", "4096 bytes and \(ending)")
        }
        edge.send(exact + "x\n")
        #expect(edge.readLine(timeout: 5) == "error: \(Hostile.lineTooLong(4096))")
        #expect(edge.waitForClose(timeout: 3))
        let unended = try LineClient.joined(port: server.tcpPort, name: "Edge2", room: "edges")
        unended.send(exact + "xy")
        #expect(unended.readLine(timeout: 5) == "error: \(Hostile.lineTooLong(4096))")
        #expect(unended.waitForClose(timeout: 3))
        #expect(ear.readText(timeout: 5)?.hasPrefix("Edge2:probe-") == true)
        #expect(ear.readText(timeout: 0.3) == nil, "no over-long line reached the room")
    }

    /// The same limit per line of a WebSocket message; the lines before the
    /// long one are relayed, then error text and close 1009.
    private func webSocketLinesOfExactlyTheLimitPassAndOneMoreCloses(_ server: MachatProcess) throws {
        let ear = try LineClient.joined(port: server.tcpPort, name: "WEdgeEar", room: "wedges")
        let edge = try RawWebSocket.joined(port: server.wsPort, name: "WEdge", room: "wedges")
        #expect(ear.readLine(timeout: 5)?.hasPrefix("WEdge:probe-") == true)
        let exact = String(repeating: "y", count: 4096)
        edge.sendText(exact)
        edge.sendText(exact + "\r\n")
        for ending in ["no newline", "CRLF"] {
            #expect(edge.nextText(timeout: 5) == "WEdge:\(exact)\n", "4096 bytes and \(ending)")
            #expect(ear.readLine(timeout: 5) == "WEdge:\(exact)", "4096 bytes and \(ending)")
        }
        edge.sendText("a\n" + exact + "y")
        let ending = edge.readToEnd(timeout: 5)
        let message = Hostile.lineTooLong(4096)
        #expect(ending.texts == ["error: \(message)"], "\(ending)")
        #expect(ending.closeCode == 1009 && ending.closeReason == message && ending.closed, "\(ending)")
        #expect(ear.readLine(timeout: 5) == "WEdge:a")
        #expect(ear.readLine(timeout: 0.3) == nil, "no over-long line reached the room")
    }
}
