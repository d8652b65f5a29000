@preconcurrency import Glibc
import Foundation
import Reactor
import StoreClient
import StoreProtocol
import Testing

@testable import Store

/// The store's side of the protocol, driven with hand-made bytes against
/// the real binary.
@Suite("machat-store sessions", .serialized)
struct StoreSessionTests {
    static let keepAll = RetentionSettings(linesPerRoom: 1_000_000, ttlMilliseconds: forever)

    private func frame(_ batch: PendingBatch) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0, 8]
        withUnsafeBytes(of: batch.number.bigEndian) { bytes += $0 }
        bytes += batch.records
        let length = UInt32(bytes.count - 4)
        bytes[0] = UInt8(length >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
        return bytes
    }

    @Test func routerThatVanishesMidFrameLeavesEveryWholeBatchStoredOnce() throws {
        let directory = TemporaryDirectory("session")
        let store = try StoreProcess(socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"))
        do {
            let router = try RawStoreClient(path: store.socketPath)
            router.send(.hello(version: 1, instance: 11, retention: Self.keepAll))
            #expect(router.next() == .welcome(version: 1, retention: Self.keepAll, committedThrough: 0))
            let whole = frame(Batches.batch(number: 1, Batches.lines("dev", count: 5)))
            let cut = frame(Batches.batch(number: 2, Batches.lines("dev", from: 6, count: 5)))
            router.send(whole + cut[0..<(cut.count / 2)])
            // Gone, as after kill -9: the half frame is never completed.
        }
        #expect(store.waitForLog("msg=\"router disconnected\""))
        let next = try RawStoreClient(path: store.socketPath)
        next.send(.hello(version: 1, instance: 12, retention: Self.keepAll))
        #expect(next.next() == .welcome(version: 1, retention: Self.keepAll, committedThrough: 0))
        next.send(.load)
        var frames: [StoreFrame] = []
        while let frame = next.next(), frames.count < 10 {
            frames.append(frame)
            if case .loaded = frame { break }
        }
        #expect(frames.count == 3)
        guard case .room(let room) = frames.first, case .lines(_, let lines) = frames[1] else {
            Issue.record("unexpected load: \(frames)")
            return
        }
        #expect(room.lastOffset == 5 && room.lineCount == 5)
        #expect(lines.map(\.offset) == [1, 2, 3, 4, 5])
        #expect(frames.last == .loaded(LoadSummary(rooms: 1, lines: 5, gateways: 0)))
    }

    @Test func resendAfterCommittedIsAnsweredWithoutStoringTwice() throws {
        let directory = TemporaryDirectory("session")
        let store = try StoreProcess(socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"))
        let router = try RawStoreClient(path: store.socketPath)
        router.send(.hello(version: 1, instance: 5, retention: Self.keepAll))
        _ = router.next()
        let batch = frame(Batches.batch(number: 1, Batches.lines("dev", count: 3)))
        router.send(batch)
        #expect(router.next() == .committed(through: 1))
        router.send(batch)
        #expect(router.next() == .committed(through: 1))
        store.terminate()
        let history = try HistoryDatabase.openForReading(directory: directory.file("data"))
        #expect(try Rows.lines(history.database).map(\.1) == [1, 2, 3])
    }

    @Test func newRouterConnectionReplacesOneThatStaysOpen() throws {
        let directory = TemporaryDirectory("session")
        let store = try StoreProcess(socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"))
        let old = try RawStoreClient(path: store.socketPath)
        old.send(.hello(version: 1, instance: 1, retention: Self.keepAll))
        #expect(old.next() != nil)
        let started = monotonicSeconds()
        let new = try RawStoreClient(path: store.socketPath)
        new.send(.hello(version: 1, instance: 2, retention: Self.keepAll))
        #expect(new.next(timeout: 5) == .welcome(version: 1, retention: Self.keepAll, committedThrough: 0))
        #expect(monotonicSeconds() - started >= 0.9)
        #expect(old.waitForClose())
        #expect(store.log.contains("msg=\"a new router connected; closing the old connection\""))
    }

    @Test func otherProtocolVersionIsRefusedWithALoggedReason() throws {
        let directory = TemporaryDirectory("session")
        let store = try StoreProcess(socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"))
        let router = try RawStoreClient(path: store.socketPath)
        router.send(.hello(version: 9, instance: 1, retention: Self.keepAll))
        #expect(router.waitForClose())
        #expect(store.waitForLog("msg=\"router speaks another store protocol version; closing\" version=9 supported=1"))
        #expect(!store.hasExited)
    }

    @Test func retentionRunsInTheBackgroundWithTheRoutersBounds() throws {
        let directory = TemporaryDirectory("session")
        let store = try StoreProcess(socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"))
        let router = try RawStoreClient(path: store.socketPath)
        let bounds = RetentionSettings(linesPerRoom: 10, ttlMilliseconds: forever)
        router.send(.hello(version: 1, instance: 1, retention: bounds))
        _ = router.next()
        router.send(frame(Batches.batch(number: 1, Batches.lines("dev", count: 2500))))
        #expect(router.next() == .committed(through: 1))
        let path = directory.file("data")
        #expect(
            waitUntil(timeout: 10) {
                let history = try? HistoryDatabase.openForReading(directory: path)
                // Whole chunks of 256 go: the one holding 2491...2500 starts at 2305.
                return (try? history.map { try Rows.lines($0.database).map(\.1) }) == Array(2305...2500)
            })
    }

    @Test func storeExitsWhenItsSupervisorIsGone() throws {
        let directory = TemporaryDirectory("session")
        let pid = try ProcessSpawner.spawn(
            executable: StoreProcess.binary,
            arguments: ["-socket", directory.file("s.sock"), "-data-dir", directory.file("data")],
            environment: ["MACHAT_SUPERVISOR_PID": "1"])
        var status: Int32 = 0
        #expect(waitUntil(timeout: 10) { waitpid(pid, &status, WNOHANG) == pid })
        #expect((status >> 8) & 0xFF == 1)
    }
}
