import Reactor
import Testing

@testable import Redis

/// Shortcuts the server tests share.
enum RedisTestSupport {
    /// Fast retries so restart tests take milliseconds, not seconds.
    static let quickBackoff = ReconnectBackoff(initialMilliseconds: 5, maximumMilliseconds: 50)

    static func options(_ whileDown: RedisConnectionOptions.WhileDown = .failFast) -> RedisConnectionOptions {
        RedisConnectionOptions(whileDown: whileDown, connectTimeoutMilliseconds: 2000, backoff: quickBackoff)
    }

    static func subscriberOptions() -> RedisSubscriberOptions {
        RedisSubscriberOptions(backoff: quickBackoff)
    }

    /// A started connection to `url` (default: the server's) and its recorder,
    /// after waiting for `.ready` when `waitForReady`.
    static func connect(
        _ server: RedisServer, _ loop: EventLoop, url: String? = nil, options: RedisConnectionOptions = options(),
        scripts: [RedisScript] = [], waitForReady: Bool = true
    ) throws -> (RedisConnection, StateRecorder) {
        let connection = try RedisConnection(url: try RedisURL(url ?? server.url), loop: loop, options: options, scripts: scripts)
        let recorder = StateRecorder()
        connection.delegate = recorder
        connection.start()
        if waitForReady {
            guard loop.run(until: { recorder.isReady }) else {
                throw RedisHarnessError(description: "not ready: \(recorder.states)\n\(server.log)")
            }
        }
        return (connection, recorder)
    }

    /// Sends one command and runs the loop until its reply.
    static func call<each Argument: RESPArgument>(
        _ connection: RedisConnection, _ loop: EventLoop, _ arguments: repeat each Argument
    ) throws -> Result<RESPValue, RedisError> {
        var result: Result<RESPValue, RedisError>?
        try connection.send(repeat each arguments) { result = $0 }
        guard loop.run(until: { result != nil }) else { throw RedisHarnessError(description: "no reply in time") }
        return result!
    }

    /// Like `call`, but the reply must be a success.
    static func value<each Argument: RESPArgument>(
        _ connection: RedisConnection, _ loop: EventLoop, _ arguments: repeat each Argument
    ) throws -> RESPValue {
        try call(connection, loop, repeat each arguments).get()
    }

    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }
}
