@testable import Redis

/// Records what a connection and a subscriber report, for the tests to wait on.
final class StateRecorder: RedisConnectionDelegate, RedisSubscriberDelegate {
    var states: [RedisConnectionState] = []
    var messages: [(channel: [UInt8], payload: [UInt8])] = []
    var confirmed: [[UInt8]] = []
    var resubscribed: [[[UInt8]]] = []

    var last: RedisConnectionState? { states.last }

    var isReady: Bool {
        if case .ready = states.last { return true }
        return false
    }

    var isDown: Bool {
        if case .down = states.last { return true }
        return false
    }

    func redisConnection(_ connection: RedisConnection, didChangeState state: RedisConnectionState) {
        states.append(state)
    }

    func subscriber(_ subscriber: RedisSubscriber, didReceive payload: [UInt8], on channel: [UInt8]) {
        messages.append((channel, payload))
    }

    func subscriber(_ subscriber: RedisSubscriber, didResubscribe channels: [[UInt8]]) {
        resubscribed.append(channels)
    }

    func subscriber(_ subscriber: RedisSubscriber, didConfirm channel: [UInt8]) {
        confirmed.append(channel)
    }

    func subscriber(_ subscriber: RedisSubscriber, didChangeState state: RedisConnectionState) {
        states.append(state)
    }
}
