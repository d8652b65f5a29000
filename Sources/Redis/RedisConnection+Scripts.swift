import Reactor

extension RedisConnection {
    /// Runs `script` with EVALSHA, its keys first, then its other arguments:
    /// `evalScript(append, keys: [room], arguments: [payload]) { … }`.
    ///
    /// A script not used before is registered: SCRIPT LOAD goes out just
    /// before this call (so it cannot meet NOSCRIPT) and again on every
    /// reconnect before `.ready`.
    ///
    /// NOSCRIPT (after `SCRIPT FLUSH`, or a server that lost its script cache
    /// without our connection dropping) is handled once per call: SCRIPT LOAD
    /// and the same EVALSHA are sent again, and the callback gets the retry's
    /// reply. Order guarantee: calls that succeed the first time run in the
    /// order sent. A retried call runs after every command that was already
    /// sent when its NOSCRIPT arrived, so commands sent after it may run
    /// before it; calls of the same script that meet NOSCRIPT too keep their
    /// order among themselves, unless another client loads the script between
    /// them. Callbacks always fire in the order the server ran the commands.
    /// A caller that needs two script calls strictly ordered keeps one in
    /// flight at a time per ordering domain.
    public func evalScript<Keys: Collection, Arguments: Collection>(
        _ script: RedisScript, keys: Keys, arguments: Arguments, reply: @escaping ReplyHandler
    ) throws(RedisError) where Keys.Element: RESPArgument, Arguments.Element: RESPArgument {
        try evalScript(
            script, keyCount: keys.count, argumentCount: arguments.count,
            { writer in
                writer.append(contentsOf: keys)
                writer.append(contentsOf: arguments)
            }, reply: reply)
    }

    /// Runs `script` with EVALSHA; `encode` appends `keyCount` keys, then
    /// `argumentCount` other arguments. Same NOSCRIPT handling and order
    /// guarantee as `evalScript(_:keys:arguments:reply:)`. The encoded call is
    /// kept until its reply arrives, for the retry.
    public func evalScript(
        _ script: RedisScript, keyCount: Int, argumentCount: Int, _ encode: (inout RESPArgumentWriter) -> Void,
        reply: @escaping ReplyHandler
    ) throws(RedisError) {
        try admit()
        register(script)
        var command: [UInt8] = []
        RESPEncoder.encodeCommand(argumentCount: 3 + keyCount + argumentCount, into: &command) { writer in
            writer.append("EVALSHA")
            writer.append(script.sha1)
            writer.append(keyCount)
            encode(&writer)
        }
        appendCommand { $0.append(contentsOf: command) }
        pending.append(.script(reply, script, command: command, retried: false))
    }

    /// Adds `script` to those loaded on every connect, and loads it now if
    /// the connection is ready. Harmless for a script already known.
    public func register(_ script: RedisScript) {
        guard knownScripts.insert(script).inserted else { return }
        scripts.append(script)
        if case .ready = state { writeScriptLoad(script) }
    }

    /// A NOSCRIPT came back for a call: load the script (unless a load of ours
    /// is already on its way, which then precedes the retry) and send the
    /// same call again at the end of the pipeline.
    func retryScript(_ script: RedisScript, command: [UInt8], handler: @escaping ReplyHandler) {
        statistics.scriptRetries += 1
        Log.warn("redis script missing (NOSCRIPT); reloading it", ["redis": url.description, "script": script.sha1Hex])
        if !loadsInFlight.contains(script) { writeScriptLoad(script) }
        link.write(command)
        inFlight += 1
        pending.append(.script(handler, script, command: command, retried: true))
    }

    private func writeScriptLoad(_ script: RedisScript) {
        loadsInFlight.insert(script)
        link.write { RESPEncoder.encodeCommand("SCRIPT", "LOAD", script.source, into: &$0) }
        inFlight += 1
        pending.append(.scriptLoad(script))
    }

    /// The answer to a SCRIPT LOAD of ours: the script's SHA-1, or an error
    /// (a script that does not compile), which its callers will see as the
    /// NOSCRIPT of their call.
    func scriptLoaded(_ script: RedisScript, reply: RESPValue) {
        loadsInFlight.remove(script)
        if reply == .bulkString(script.sha1) { return }
        Log.error("redis refused a script", ["redis": url.description, "script": script.sha1Hex, "reply": reply.description])
    }
}
