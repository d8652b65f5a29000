@preconcurrency import Glibc
import Foundation
import Reactor
import StoreClient
import StoreProtocol
import Testing

@testable import Store

/// Measurements for the report, not run by default:
/// `MACHAT_STORE_BENCH=1 [MACHAT_STORE_BINARY=.build-store/release/machat-store] swift test --filter StoreMeasurements`.
@Suite("Store measurements", .serialized, .enabled(if: ProcessInfo.processInfo.environment["MACHAT_STORE_BENCH"] != nil))
struct StoreMeasurements {
    static let binary = ProcessInfo.processInfo.environment["MACHAT_STORE_BINARY"] ?? StoreProcess.binary

    private func spawnStore(_ directory: TemporaryDirectory, _ arguments: [String] = []) throws -> StoreProcess {
        try StoreProcess(
            socketPath: directory.file("s.sock"), dataDirectory: directory.file("data"),
            arguments: arguments, binary: Self.binary)
    }

    /// APPEND frames of `perBatch` lines each, spread over `rooms` rooms.
    private func frames(batches: Int, perBatch: Int, rooms: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batches * perBatch * 80)
        var offsets = [UInt64](repeating: 0, count: rooms)
        let name = Array("Mina".utf8)
        for number in 1...batches {
            var builder = AppendBatchBuilder(batch: UInt64(number), reservingCapacity: perBatch * 80)
            for k in 0..<perBatch {
                let room = (number * 7 + k) % rooms
                offsets[room] += 1
                let text = Array("a typical chat line, number \(offsets[room]) of room \(room)".utf8)
                name.withUnsafeBytes { n in
                    text.withUnsafeBytes { t in
                        builder.appendLine(
                            room: "room\(room)", epoch: "0123456789abcdef", offset: offsets[room],
                            time: 1_764_628_800_000 + offsets[room],
                            name: n, text: t, gateway: GatewayMark(instance: 42, sequence: UInt64(number * perBatch + k)))
                    }
                }
            }
            bytes += builder.finish()
        }
        return bytes
    }

    @Test(arguments: ["normal", "full"])
    func commitThroughput(sync: String) throws {
        let directory = TemporaryDirectory("bench")
        let store = try spawnStore(directory, ["-sync", sync])
        let batches = 2000
        let perBatch = 500
        let bytes = frames(batches: batches, perBatch: perBatch, rooms: 100)
        let router = try RawStoreClient(path: store.socketPath)
        router.send(
            .hello(version: 1, instance: 1, retention: RetentionSettings(linesPerRoom: 1_000_000, ttlMilliseconds: forever)))
        _ = router.next()
        let cpuBefore = store.cpuSeconds
        let started = monotonicSeconds()
        let raw = router.fd.rawValue
        let writer = Thread {
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes {
                    Glibc.send(raw, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { return }
                offset += n
            }
        }
        writer.start()
        var through: UInt64 = 0
        while through < UInt64(batches), let frame = router.next(timeout: 120) {
            if case .committed(let last) = frame { through = last }
        }
        let seconds = monotonicSeconds() - started
        let cpu = store.cpuSeconds - cpuBefore
        #expect(through == UInt64(batches))
        store.terminate()
        let size =
            (try FileManager.default.attributesOfItem(atPath: DataDirectory.databasePath(in: directory.file("data")))[.size]
                as? Int) ?? 0
        let lines = batches * perBatch
        print(
            "sync=\(sync): \(lines) lines in \(String(format: "%.2f", seconds)) s = \(Int(Double(lines) / seconds)) rows/s; "
                + "store CPU \(String(format: "%.2f", cpu)) s (\(Int(cpu / seconds * 100))% of a core, \(Int(Double(lines) / cpu)) rows per CPU-second); "
                + "\(size) bytes on disk = \(size / lines) bytes per line (text 40-46 bytes, name 4); \(store.log.components(separatedBy: "\n").count) log lines"
        )
    }

    @Test(arguments: ["normal", "full"])
    func commitLatencyOfSingleLines(sync: String) throws {
        let directory = TemporaryDirectory("bench")
        let store = try spawnStore(directory, ["-sync", sync])
        let loop = try EventLoop()
        var options = StoreLinkOptions(retention: RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: forever))
        options.backoff = ReconnectBackoff(initialMilliseconds: 5, maximumMilliseconds: 50)
        let link = StoreLink(socketPath: store.socketPath, loop: loop, options: options)
        link.start()
        #expect(loop.run { link.state == .ready })
        var samples: [Double] = []
        for offset in 1...2000 {
            let started = monotonicSeconds()
            let ticket = link.append(room: "dev", epoch: "e", offset: UInt64(offset), time: 1, name: "Mina", text: "hello there")
            #expect(loop.run { link.committedThrough >= ticket })
            samples.append((monotonicSeconds() - started) * 1000)
        }
        samples.sort()
        print(
            "sync=\(sync): append to COMMITTED, one line at a time: p50 \(String(format: "%.3f", samples[1000])) ms, "
                + "p99 \(String(format: "%.3f", samples[1980])) ms, max \(String(format: "%.3f", samples.last!)) ms")
        store.terminate()
    }

    @Test func loadOfAThousandRoomsOfAThousandLines() throws {
        let directory = TemporaryDirectory("bench")
        try DataDirectory.ensure(directory.file("data"))
        try HistoryDatabase.openForWriting(directory: directory.file("data")).closeCleanly()
        _ = try Python.run(
            ThousandRooms.script, arguments: [DataDirectory.databasePath(in: directory.file("data"))], timeout: 300)
        let store = try spawnStore(directory)
        let router = try RawStoreClient(path: store.socketPath)
        router.send(.hello(version: 1, instance: 1, retention: RetentionSettings(linesPerRoom: 1000, ttlMilliseconds: forever)))
        _ = router.next()
        let cpuBefore = store.cpuSeconds
        let started = monotonicSeconds()
        router.send(.load)
        var rooms = 0
        var lines = 0
        var done = false
        while !done,
            let bytes = router.nextBorrowed(
                timeout: 60,
                { view in
                    if case .lines(_, let batch) = view { for _ in batch { lines += 1 } }
                })
        {
            switch bytes {
            case .frame(.room): rooms += 1
            case .frame(.loaded): done = true
            default: break
            }
        }
        let seconds = monotonicSeconds() - started
        #expect(rooms == 1000 && lines == 1_000_000)
        print(
            "load 1000 rooms x 1000 lines: \(String(format: "%.2f", seconds)) s, store CPU \(String(format: "%.2f", store.cpuSeconds - cpuBefore)) s"
        )
        store.terminate()
    }
}
