@preconcurrency import Glibc
import Metrics
import Reactor
import Testing

/// The shared region: one slot per process, the same memory in every
/// mapping, gauges reset and counters kept when a child exits.
@Suite struct MetricsRegionTests {
    @Test func aSecondMappingOfTheMemoryFileSeesEveryIncrement() throws {
        let region = try MetricsRegion.createShared(slots: 3)
        let file = try #require(region.file)
        #expect(file.rawValue >= 10, "kept above the numbers children receive")
        let other = try MetricsRegion.attach(file)
        #expect(other.slotCount == 3)
        let counter = other.slot(2).counter(.linesIn)
        for _ in 0..<1000 { counter.increment() }
        other.slot(1).gauge(.connections).set(7)
        let cells = region.cells(ofSlot: 2)
        #expect(cells[MetricsLayout.offset(of: .linesIn)] == 1000)
        #expect(region.cells(ofSlot: 1)[MetricsLayout.offset(of: .connections)] == 7)
        #expect(region.cells(ofSlot: 0).allSatisfy { $0 == 0 }, "slots are separate")
    }

    @Test func theDescriptorIsCloseOnExec() throws {
        let region = try MetricsRegion.createShared(slots: 1)
        let file = try #require(region.file)
        #expect(fcntl(file.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func anExitedChildsGaugesAreZeroedAndItsCountersKept() throws {
        let region = try MetricsRegion.createShared(slots: 2)
        let gateway = GatewayMetrics(slot: region.slot(1))
        gateway.connections.set(12)
        gateway.routerLinkUp.set(true)
        gateway.heldBytes.set(4096)
        gateway.linesIn.increment(by: 5)
        gateway.deliveryLatency.observe(3)
        gateway.refused(.timeout)
        region.resetGauges(ofSlot: 1)
        let sample = ProcessSample(name: "tcp-gateway-1", role: .gateway, cells: region.cells(ofSlot: 1))
        #expect(sample.gauge(.connections) == 0)
        #expect(sample.gauge(.routerLinkUp) == 0)
        #expect(sample.gauge(.heldBytes) == 0)
        #expect(gateway.linesIn.value == 5)
        #expect(gateway.deliveryLatency.observationCount == 1)
        #expect(gateway.refusals(.timeout) == 1)
    }

    @Test func aChildFindsItsSlotFromTheVariablesAndClosesTheDescriptor() throws {
        let region = try MetricsRegion.createShared(slots: 4)
        let file = try #require(region.file)
        let copy = fcntl(file.rawValue, F_DUPFD_CLOEXEC, 10)
        let slot = MetricsRegion.inheritedSlot(descriptor: String(copy), slot: "3")
        RouterMetrics(slot: slot).linesOrdered.increment(by: 9)
        #expect(region.cells(ofSlot: 3)[MetricsLayout.offset(of: .linesOrdered)] == 9)
        // Other tests run in this process meanwhile and may get the same
        // number for a file of their own: closed means not this file any more.
        var original = stat()
        var now = stat()
        #expect(fstat(file.rawValue, &original) == 0)
        let stillOpen = fstat(copy, &now) == 0 && now.st_dev == original.st_dev && now.st_ino == original.st_ino
        #expect(!stillOpen, "the inherited descriptor is closed")
    }

    @Test func withoutVariablesOrWithABadRegionAProcessCountsPrivately() throws {
        let plain = MetricsRegion.inheritedSlot(descriptor: nil, slot: nil)
        #expect(plain.region.file == nil)
        #expect(MetricsRegion.inheritedSlot(descriptor: "x", slot: "0").region.slotCount == 1)
        // A descriptor that is not a region: /dev/null maps nothing useful.
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let fallback = MetricsRegion.inheritedSlot(descriptor: String(devNull), slot: "0")
        #expect(fallback.region.file == nil && fallback.region.slotCount == 1)
        // A real region but a slot it does not have.
        let region = try MetricsRegion.createShared(slots: 2)
        let copy = fcntl(try #require(region.file).rawValue, F_DUPFD_CLOEXEC, 10)
        #expect(MetricsRegion.inheritedSlot(descriptor: String(copy), slot: "2").region !== region)
    }

    @Test func attachRefusesAMemoryFileThatIsNotARegion() throws {
        let region = try MetricsRegion.createShared(slots: 1)
        let file = try #require(region.file)
        // Spoil the magic through a second mapping.
        let other = try MetricsRegion.attach(file)
        other.slot(0).cell(.connections).advanced(by: -(MetricsLayout.headerCells + MetricsLayout.offset(of: .connections)))
            .pointee = 0
        #expect(throws: MetricsRegionError.self) { try MetricsRegion.attach(file) }
    }

    @Test func theLayoutGivesEverySlotFamilyItsOwnCells() {
        var covered = Set<Int>()
        for metric in Metric.allCases where metric.family.cellCount > 0 {
            let range = MetricsLayout.offset(of: metric)..<(MetricsLayout.offset(of: metric) + metric.family.cellCount)
            #expect(covered.isDisjoint(with: range), "\(metric) overlaps")
            covered.formUnion(range)
        }
        #expect(covered.max()! < MetricsLayout.cellsPerSlot)
        #expect(MetricsLayout.offset(of: .joinRefusals) + JoinRefusalReason.allCases.count <= MetricsLayout.cellsPerSlot)
    }
}
