@preconcurrency import Glibc
import Reactor
import Testing

/// sd_listen_fds(3) semantics of `SocketActivation.parse`.
@Suite struct SocketActivationTests {
    @Test func namedSocketsStartAtDescriptorThree() throws {
        let sockets = try SocketActivation.parse(pid: "77", count: "2", names: "ws:tcp", ownPID: 77)
        #expect(sockets.map(\.name) == ["ws", "tcp"])
        #expect(sockets.map(\.descriptor) == [3, 4])
    }

    @Test func socketsForAnotherProcessOrNoneAtAllAreIgnored() throws {
        #expect(try SocketActivation.parse(pid: "78", count: "2", names: "tcp:ws", ownPID: 77).isEmpty)
        #expect(try SocketActivation.parse(pid: nil, count: nil, names: nil, ownPID: 77).isEmpty)
    }

    @Test func withoutDistinctNamesSocketsAreTakenInOrder() throws {
        #expect(try SocketActivation.parse(pid: "77", count: "2", names: nil, ownPID: 77).map(\.name) == ["tcp", "ws"])
        // One unit with two ListenStream= lines names both after itself.
        let same = try SocketActivation.parse(pid: "77", count: "2", names: "machat.socket:machat.socket", ownPID: 77)
        #expect(same.map(\.name) == ["tcp", "ws"])
    }

    @Test func malformedVariablesAreErrors() {
        #expect(throws: SocketActivationError.self) {
            try SocketActivation.parse(pid: nil, count: "1", names: nil, ownPID: 77)
        }
        #expect(throws: SocketActivationError.self) {
            try SocketActivation.parse(pid: "77", count: "two", names: nil, ownPID: 77)
        }
        #expect(throws: SocketActivationError.self) {
            try SocketActivation.parse(pid: "77", count: "2", names: "tcp", ownPID: 77)
        }
    }
}
