import Testing

@testable import Redis

/// Rooms spread evenly over shards, adding a shard moves about 1/(N+1) of
/// them, and placement is the same in every process.
@Suite("ShardRing")
struct ShardRingTests {
    private let rooms = (0..<10_000).map { "room-\($0)" }

    @Test func fnv1aMatchesThePublishedTestVectors() {
        // From the FNV reference test suite (draft-eastlake-fnv, test vectors).
        #expect(StableHash.fnv1a64([UInt8]()) == 0xCBF2_9CE4_8422_2325)
        #expect(StableHash.fnv1a64("a".utf8) == 0xAF63_DC4C_8601_EC8C)
        #expect(StableHash.fnv1a64("foobar".utf8) == 0x8594_4171_F739_67E8)
    }

    @Test func placementIsPinnedAcrossProcessesAndReleases() {
        // Fixed expectations: a change here would move every room in a
        // running cluster, so it must be a deliberate one.
        let ring = ShardRing(shards: ["redis-a:6379/0", "redis-b:6379/0", "redis-c:6379/0"])
        let placed = ["dev", "general", "room-1", "room-2", "ü"].map { ring.shard(forRoom: $0) }
        #expect(placed == ShardRingTests.pinned)
    }

    /// Computed by an independent Python implementation of the documented
    /// algorithm (FNV-1a 64, SplitMix64 finalizer, highest score wins).
    static let pinned = [0, 0, 1, 0, 2]

    @Test func singleShardTakesEverything() {
        let ring = ShardRing(shards: ["only"])
        #expect(rooms.allSatisfy { ring.shard(forRoom: $0) == 0 })
    }

    @Test func roomsSpreadEvenlyOverShards() {
        let ring = ShardRing(shards: (0..<4).map { "shard-\($0)" })
        var counts = [0, 0, 0, 0]
        for room in rooms { counts[ring.shard(forRoom: room)] += 1 }
        // 2,500 expected each; ±10% is far outside chance for a good hash.
        #expect(counts.allSatisfy { $0 > 2250 && $0 < 2750 }, "\(counts)")
    }

    @Test func addingAFourthShardMovesAboutAQuarterOfTheRooms() {
        let three = ShardRing(shards: ["s0", "s1", "s2"])
        let four = ShardRing(shards: ["s0", "s1", "s2", "s3"])
        var moved = 0
        for room in rooms {
            let before = three.shard(forRoom: room)
            let after = four.shard(forRoom: room)
            if before != after {
                moved += 1
                // Only to the new shard: no room moves between old ones.
                #expect(after == 3)
            }
        }
        #expect(moved >= 2000 && moved <= 3000, "moved \(moved) of 10000")
    }

    @Test func removingAShardMovesOnlyItsRooms() {
        let four = ShardRing(shards: ["s0", "s1", "s2", "s3"])
        let withoutS1 = ShardRing(shards: ["s0", "s2", "s3"])
        for room in rooms {
            let before = four.shards[four.shard(forRoom: room)]
            let after = withoutS1.shards[withoutS1.shard(forRoom: room)]
            if before != "s1" { #expect(before == after) }
        }
    }

    @Test func listOrderDoesNotChangePlacement() {
        let forward = ShardRing(shards: ["s0", "s1", "s2"])
        let reversed = ShardRing(shards: ["s2", "s1", "s0"])
        for room in rooms.prefix(1000) {
            #expect(forward.shards[forward.shard(forRoom: room)] == reversed.shards[reversed.shard(forRoom: room)])
        }
    }

    @Test func urlsAreNamedByHostPortAndDatabase() throws {
        let ring = ShardRing(urls: try RedisURL.parseList("redis://:pw@A:1/2,redis://b:3"))
        #expect(ring.shards == ["a:1/2", "b:3/0"])
    }
}
