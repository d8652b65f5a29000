/// Places each room on one of N Redis shards by rendezvous (highest random
/// weight) hashing (Thaler and Ravishankar, 1998): a room goes to the shard
/// whose score `mix(fnv1a64(room) ^ mix(fnv1a64(shard name)))` is highest,
/// ties to the lower index.
///
/// Adding a shard moves only the rooms for which the new shard scores
/// highest, about 1/(N+1) of them, and every other room stays where it was;
/// removing one moves only its own rooms. Placement depends only on the
/// room's bytes and the shard names (see `RedisURL.shardName`), never on the
/// list's order or the process, so every node agrees.
public struct ShardRing: Sendable {
    /// The shard names, in the caller's order (indexes refer to it).
    public let shards: [String]
    private let seeds: [UInt64]

    public init(shards: [String]) {
        precondition(!shards.isEmpty, "a shard ring needs at least one shard")
        precondition(Set(shards).count == shards.count, "shard names must be distinct")
        self.shards = shards
        self.seeds = shards.map { StableHash.mix(StableHash.fnv1a64($0.utf8)) }
    }

    /// The ring of `urls`, named by `RedisURL.shardName`.
    public init(urls: [RedisURL]) {
        self.init(shards: urls.map(\.shardName))
    }

    /// The index (into `shards`) of the shard holding `key`.
    public func shard<Bytes: Sequence>(for key: Bytes) -> Int where Bytes.Element == UInt8 {
        if seeds.count == 1 { return 0 }
        let keyHash = StableHash.fnv1a64(key)
        var best = 0
        var bestScore = StableHash.mix(keyHash ^ seeds[0])
        for index in 1..<seeds.count {
            let score = StableHash.mix(keyHash ^ seeds[index])
            if score > bestScore {
                best = index
                bestScore = score
            }
        }
        return best
    }

    /// The index of the shard holding room `room` (its UTF-8 bytes).
    public func shard(forRoom room: String) -> Int {
        shard(for: room.utf8)
    }
}
