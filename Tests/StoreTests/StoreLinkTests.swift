import Reactor
import StoreClient
import StoreProtocol
import Testing

/// The router's side, against a store the test plays byte by byte.
@Suite("StoreLink")
struct StoreLinkTests {
    final class Setup {
        let directory = TemporaryDirectory("link")
        let loop = try! EventLoop()
        let store: FakeStore
        let recorder = LinkRecorder()
        let link: StoreLink
        let retention = RetentionSettings(linesPerRoom: 50, ttlMilliseconds: 60_000)

        init(configure: (inout StoreLinkOptions) -> Void = { _ in }) throws {
            store = try FakeStore(path: directory.file("s.sock"))
            var options = StoreLinkOptions(retention: retention)
            options.instance = 0xABCD
            options.backoff = ReconnectBackoff(initialMilliseconds: 2, maximumMilliseconds: 20)
            configure(&options)
            link = StoreLink(socketPath: directory.file("s.sock"), loop: loop, options: options)
            link.delegate = recorder
        }

        /// Waits for HELLO and answers WELCOME.
        func handshake(committedThrough: UInt64 = 0) -> Bool {
            guard loop.run(with: store, until: { store.received.first != nil }) else { return false }
            guard store.received.first == .hello(version: 1, instance: 0xABCD, retention: retention) else { return false }
            store.send(.welcome(version: 1, retention: retention, committedThrough: committedThrough))
            return loop.run(with: store) { link.state == .ready }
        }

        func line(_ offset: UInt64, room: String = "dev") -> AppendRecord {
            .line(
                room: 0, gateway: GatewayMark(instance: 9, sequence: offset),
                line: StoredLine(offset: offset, time: 5, name: "Mina", text: Array("l\(offset)".utf8)))
        }

        @discardableResult
        func append(_ offset: UInt64, room: String = "dev") -> StoreTicket {
            link.append(
                room: room, epoch: "e", offset: offset, time: 5, name: "Mina", text: "l\(offset)",
                gateway: GatewayMark(instance: 9, sequence: offset))
        }
    }

    @Test func eachTurnsLinesGoOutAsOneAppendWithItsRoomDefinedOnce() throws {
        let setup = try Setup()
        setup.link.start()
        #expect(setup.handshake())
        #expect(setup.append(1) == 1 && setup.append(2) == 1)
        setup.loop.runOnce(maxWaitMilliseconds: 0)
        #expect(setup.append(3) == 2)
        #expect(setup.loop.run(with: setup.store) { setup.store.batches.count == 2 })
        #expect(setup.store.batches[0].0 == 1)
        #expect(setup.store.batches[0].1 == [.room(name: "dev", epoch: "e"), setup.line(1), setup.line(2)])
        #expect(setup.store.batches[1].1 == [.room(name: "dev", epoch: "e"), setup.line(3)])
    }

    /// The link's timers (handshake, reconnect, stall watch) do not keep it
    /// alive, and once it is gone they fire harmlessly (`TimerTarget`).
    @Test func aLinkLetGoWithTimersPendingIsFreedAndItsTimersDoNothing() throws {
        let directory = TemporaryDirectory("link-freed")
        let loop = try EventLoop()
        var options = StoreLinkOptions(retention: RetentionSettings(linesPerRoom: 5, ttlMilliseconds: 1000))
        options.backoff = ReconnectBackoff(initialMilliseconds: 1, maximumMilliseconds: 2)
        var link: StoreLink? = StoreLink(socketPath: directory.file("nobody.sock"), loop: loop, options: options)
        weak let released = link
        link!.start()
        // No store: the connect fails and a reconnect timer is pending, as
        // is the once-a-second stall watch.
        loop.runOnce(maxWaitMilliseconds: 5)
        link!.stop()
        link = nil
        #expect(released == nil)
        let deadline = MonotonicClock.now() + MonotonicClock.ms(1200)
        while MonotonicClock.now() < deadline { loop.runOnce(maxWaitMilliseconds: 50) }
    }

    @Test func uncommittedBatchesAreResentInOrderAfterAReconnectSkippingWhatTheStoreHas() throws {
        let setup = try Setup()
        setup.link.start()
        #expect(setup.handshake())
        for offset in 1...4 {
            setup.append(UInt64(offset))
            setup.loop.runOnce(maxWaitMilliseconds: 0)
        }
        #expect(setup.loop.run(with: setup.store) { setup.store.batches.count == 4 })
        setup.store.send(.committed(through: 1))
        #expect(setup.loop.run(with: setup.store) { setup.recorder.commits == [1] })
        let before = setup.link.uncommittedBytes
        setup.store.drop()
        #expect(setup.loop.run(with: setup.store) { if case .down = setup.link.state { true } else { false } })
        // Lines keep coming while the store is away.
        setup.append(5)
        setup.loop.runOnce(maxWaitMilliseconds: 0)
        #expect(setup.link.uncommittedBytes > before)
        #expect(setup.loop.run(with: setup.store) { setup.store.connections == 2 && !setup.store.received.isEmpty })
        // The restarted store already committed batch 2 before it died.
        #expect(setup.handshake(committedThrough: 2))
        #expect(setup.loop.run(with: setup.store) { setup.store.batches.count == 3 })
        #expect(setup.store.batches.map(\.0) == [3, 4, 5])
        #expect(setup.recorder.commits == [1, 2])
        setup.store.send(.committed(through: 5))
        #expect(setup.loop.run(with: setup.store) { setup.link.uncommittedBytes == 0 })
        #expect(setup.recorder.commits == [1, 2, 5])
        #expect(setup.recorder.states.contains(.down(reason: "the store closed the connection")))
    }

    @Test func bigTurnIsSplitIntoBatchesWithinTheSizeBound() throws {
        let setup = try Setup { $0.maxBatchBytes = 1024 }
        setup.link.start()
        #expect(setup.handshake())
        var tickets: [StoreTicket] = []
        for offset in 1...40 {
            tickets.append(
                setup.link.append(
                    room: "dev", epoch: "e", offset: UInt64(offset), time: 1, name: "n", text: String(repeating: "t", count: 100))
            )
        }
        setup.loop.runOnce(maxWaitMilliseconds: 0)
        #expect(tickets == tickets.sorted() && Set(tickets).count > 3)
        #expect(setup.loop.run(with: setup.store) { setup.store.batches.count == Set(tickets).count })
        for batch in setup.store.batches { #expect(StoreFrame.append(batch: batch.0, records: batch.1).encoded.count <= 1024) }
        #expect(setup.store.batches.flatMap { $0.1 }.filter { if case .line = $0 { true } else { false } }.count == 40)
    }

    @Test func reconnectDuringALoadStartsTheLoadOver() throws {
        let setup = try Setup()
        setup.link.start()
        setup.link.load()
        #expect(setup.handshake())
        #expect(setup.loop.run(with: setup.store) { setup.store.received.contains(.load) })
        let room = LoadedRoom(id: 4, name: "dev", epoch: "e", lastOffset: 2, lastTime: 9, lineCount: 2)
        setup.store.send(.room(room), .lines(room: 4, lines: [StoredLine(offset: 1, time: 1, name: "a", text: [0x41])]))
        #expect(setup.loop.run(with: setup.store) { setup.recorder.lines["dev"]?.count == 1 })
        setup.store.drop()
        #expect(setup.loop.run(with: setup.store) { setup.store.connections == 2 && !setup.store.received.isEmpty })
        #expect(setup.handshake())
        #expect(setup.loop.run(with: setup.store) { setup.store.received.contains(.load) })
        #expect(setup.recorder.loadStarts == 2)
        #expect(setup.recorder.lines.isEmpty)
        let lines = [
            StoredLine(offset: 1, time: 1, name: "a", text: [0x41]), StoredLine(offset: 2, time: 2, name: "b", text: []),
        ]
        setup.store.send(
            .room(room), .lines(room: 4, lines: lines), .gateways([GatewayMark(instance: 9, sequence: 3)]),
            .loaded(LoadSummary(rooms: 1, lines: 2, gateways: 1)))
        #expect(setup.loop.run(with: setup.store) { setup.recorder.finished != nil })
        #expect(setup.recorder.rooms == [room])
        #expect(setup.recorder.lines["dev"] == lines)
        #expect(setup.recorder.gateways == [GatewayMark(instance: 9, sequence: 3)])
    }

    @Test func storeThatNeverWelcomesIsDroppedAndTriedAgain() throws {
        let setup = try Setup { $0.handshakeTimeoutMilliseconds = 50 }
        setup.link.start()
        #expect(setup.loop.run(with: setup.store) { setup.store.connections >= 2 })
        #expect(setup.recorder.states.contains(.down(reason: "no WELCOME within 50 ms")))
    }

    @Test func failingAndHealthyStatusReachTheDelegate() throws {
        let setup = try Setup()
        setup.link.start()
        #expect(setup.handshake())
        setup.store.send(.status(.failing(reason: "database or disk is full")))
        #expect(setup.loop.run(with: setup.store) { setup.link.storeStatus != .healthy })
        setup.store.send(.status(.healthy))
        #expect(setup.loop.run(with: setup.store) { setup.recorder.statuses.count == 2 })
        #expect(setup.recorder.statuses == [.failing(reason: "database or disk is full"), .healthy])
    }

    @Test func unexpectedFrameFromTheStoreDropsTheConnection() throws {
        let setup = try Setup()
        setup.link.start()
        #expect(setup.handshake())
        setup.store.send(.load)
        #expect(setup.loop.run(with: setup.store) { setup.store.connections == 2 })
        #expect(setup.recorder.states.contains(.down(reason: "unexpected frame type 3")))
    }
}
