import Reactor
import WebSocket

/// Who a client is, by address, and the per-address abuse limits: the
/// socket's peer is the client, unless the peer is a trusted proxy
/// (`-trusted-proxies`), whose connections start with a PROXY protocol
/// header naming the real client. Logs and the per-address table use the
/// client's address either way.
extension Gateway {
    /// What `admitAddress(of:)` learned about a new connection.
    struct Origin {
        /// The socket's peer (nil if it is already gone).
        var peer: IPEndpoint?
        /// The peer is a trusted proxy: a PROXY header comes first, and the
        /// per-address limits wait for the address it gives.
        var fromProxy: Bool
        /// The peer is a trusted proxy that sends no header on this
        /// gateway: it stands for many clients, so it is not limited.
        var isUnnamedProxy: Bool
        /// The connection was counted in the per-address table.
        var isCounted: Bool
    }

    static func makeAddressTable(_ limits: GatewayLimits) -> ClientAddressTable? {
        let settings = ClientAddressTable.Settings(
            maxConnections: limits.maxConnectionsPerAddress, joinsPerSecond: limits.joinsPerAddressPerSecond,
            joinBurst: limits.joinBurstPerAddress, capacity: limits.maxTrackedAddresses)
        return settings.isOff ? nil : ClientAddressTable(settings: settings)
    }

    /// At accept, before anything is allocated for the connection: its
    /// peer, whether it is a trusted proxy, and (for a direct client) the
    /// per-address connection limit. Nil if refused; `fd` is then closed.
    func admitAddress(of fd: FileDescriptor) -> Origin? {
        let peer = Socket.peerAddress(fd).flatMap { IPEndpoint($0) }
        guard let peer else { return Origin(peer: nil, fromProxy: false, isUnnamedProxy: false, isCounted: false) }
        if let policy = configuration.proxyProtocol, policy.isTrustedProxy(peer.address) {
            return Origin(
                peer: peer, fromProxy: policy.expectsHeaders, isUnnamedProxy: !policy.expectsHeaders, isCounted: false)
        }
        guard addressTable != nil else { return Origin(peer: peer, fromProxy: false, isUnnamedProxy: false, isCounted: false) }
        switch addressTable!.openConnection(from: peer.address, now: MonotonicClock.now()) {
        case .admitted:
            return Origin(peer: peer, fromProxy: false, isUnnamedProxy: false, isCounted: true)
        case .refused(let startsEpisode):
            metrics.refused(.addressLimit)
            noteConnectionRefusal(peer, startsEpisode: startsEpisode)
            refuseDirectly(fd, tooManyConnectionsText)
            return nil
        }
    }

    /// Gives a new session what was learned at accept.
    func adopt(_ origin: Origin, for session: GatewaySession) {
        session.clientAddress = origin.peer
        session.isCountedForAddress = origin.isCounted
        if origin.fromProxy {
            session.proxyHeader = ProxyHeaderParser()
        } else if configuration.proxyProtocol?.expectsHeaders == true {
            session.screensFirstRead = true
        }
        Log.debug(
            "client connected",
            ["conn": session.conn, "addr": session.addressText, "via_proxy": origin.fromProxy || origin.isUnnamedProxy])
    }

    /// A counted connection from `address` closed.
    func releaseAddress(_ address: IPAddress) {
        addressTable?.closeConnection(from: address, now: MonotonicClock.now())
        scheduleAddressSweep()
    }

    /// The per-address join limit; false if the join was refused (the
    /// client was told, and its connection closes).
    func admitJoin(_ session: GatewaySession) -> Bool {
        guard addressTable?.settings.limitsJoins == true, let client = session.clientAddress else { return true }
        // A proxy that cannot name its clients is not limited as one client.
        if configuration.proxyProtocol?.expectsHeaders == false,
            configuration.proxyProtocol?.isTrustedProxy(client.address) == true
        {
            return true
        }
        let admission = addressTable!.join(from: client.address, now: MonotonicClock.now())
        scheduleAddressSweep()
        guard case .refused(let startsEpisode) = admission else { return true }
        metrics.refused(.addressLimit)
        if startsEpisode {
            // One line per episode: an address flooding joins would
            // otherwise write one per attempt.
            Log.warn(
                "joins from one address over the limit; refusing until it slows down",
                [
                    "addr": client.address, "limit_per_s": limits.joinsPerAddressPerSecond,
                    "burst": limits.joinBurstPerAddress,
                ])
        }
        session.sendError(
            "too many joins from your address; wait a few seconds and try again", close: true,
            code: WebSocketCloseCode.policyViolation)
        return false
    }

    /// Bytes that arrive before the chat protocol: a trusted proxy's PROXY
    /// header, or the first read of a client while -proxy-protocol is on
    /// (screened for a stray header, then handled as chat).
    func readBeforeChat(_ session: GatewaySession, _ bytes: UnsafeRawBufferPointer) {
        guard var parser = session.proxyHeader else {
            session.screensFirstRead = false
            if bytes.starts(with: ProxyHeaderParser.version1Prefix) || bytes.starts(with: ProxyHeaderParser.signature) {
                // The chat protocol refuses it as a bad join or request; this
                // says why, for an operator whose proxy is not in the list.
                Log.warn(
                    "PROXY header from a peer not in -trusted-proxies; handled as a client, so it is refused",
                    ["conn": session.conn, "addr": session.addressText])
            }
            session.receiveChat(bytes)
            return
        }
        // Out of the session while it grows, so the buffer is not copied.
        session.proxyHeader = nil
        switch parser.feed(bytes) {
        case .needMore:
            session.proxyHeader = parser
        case .failed(let error):
            Log.warn(
                "invalid PROXY header from a trusted proxy; closing",
                ["conn": session.conn, "proxy": session.addressText, "reason": error])
            retire(session)
            session.connection.close(.local("invalid PROXY header"))
        case .complete(let header, let consumed):
            let proxy = session.addressText
            if let source = header.source { session.clientAddress = source }
            Log.debug(
                "PROXY header",
                ["conn": session.conn, "addr": session.addressText, "proxy": proxy, "version": header.version.rawValue])
            guard admitProxiedClient(session) else { return }
            if consumed < bytes.count { session.receiveChat(UnsafeRawBufferPointer(rebasing: bytes[consumed...])) }
        }
    }

    // MARK: Internals

    private var tooManyConnectionsText: String {
        "too many connections from your address (\(limits.maxConnectionsPerAddress) on this server); close some and try again"
    }

    /// The per-address connection limit for a client a proxy announced.
    private func admitProxiedClient(_ session: GatewaySession) -> Bool {
        guard addressTable != nil, let client = session.clientAddress else { return true }
        switch addressTable!.openConnection(from: client.address, now: MonotonicClock.now()) {
        case .admitted:
            session.isCountedForAddress = true
            return true
        case .refused(let startsEpisode):
            metrics.refused(.addressLimit)
            noteConnectionRefusal(client, startsEpisode: startsEpisode)
            session.refuseForAddress(tooManyConnectionsText)
            return false
        }
    }

    private func noteConnectionRefusal(_ client: IPEndpoint, startsEpisode: Bool) {
        guard startsEpisode else { return }
        // One line per episode, not per refused connection.
        Log.warn(
            "connections from one address over the limit; refusing new ones until some close",
            ["addr": client.address, "limit": limits.maxConnectionsPerAddress])
    }

    /// Refuses a connection nothing was allocated for yet, in its protocol.
    private func refuseDirectly(_ fd: FileDescriptor, _ message: String) {
        // Take what the client sent already (its join, its HTTP request):
        // closing with unread input resets the connection, which can destroy
        // the refusal before the client reads it.
        _ = try? fd.read(into: loop.readBuffer)
        let bytes =
            isWebSocket
            ? HTTPResponse.bytes(status: 429, reason: "Too Many Requests", body: "error: \(message)\n")
            : Array("error: \(message)\n".utf8)
        bytes.withUnsafeBytes { _ = try? fd.send($0) }
        fd.close()
    }

    /// Addresses without connections are kept only until their join bucket
    /// is full again: a sweep a second forgets them while any exist.
    private func scheduleAddressSweep() {
        guard !addressSweepScheduled, (addressTable?.idleCount ?? 0) > 0 else { return }
        addressSweepScheduled = true
        loop.schedule(afterMilliseconds: 1000) { [unowned self] in
            addressSweepScheduled = false
            addressTable?.sweep(now: MonotonicClock.now())
            scheduleAddressSweep()
        }
    }
}
