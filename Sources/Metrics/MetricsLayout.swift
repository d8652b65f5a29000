/// Where each metric's cells are in a slot, computed from `Metric`'s table.
///
/// The region is a header followed by one slot per process; a slot is the
/// cells of every slot family in table order, padded to whole 64-byte cache
/// lines so two processes never write the same line. A cell is a UInt64.
public enum MetricsLayout {
    /// Cells of the region's header: magic, fingerprint, slot count, cells
    /// per slot, then padding to one cache line.
    public static let headerCells = 8
    /// "MACHATM1" in ASCII: what a region starts with.
    public static let magic: UInt64 = 0x4D41_4348_4154_4D31

    /// The first cell of each metric in a slot (supervisor families have none).
    public static let offsets: [Int] = {
        var next = 0
        return Metric.allCases.map { metric in
            let offset = next
            next += metric.family.cellCount
            return offset
        }
    }()

    /// Cells per slot, a whole number of cache lines.
    public static let cellsPerSlot: Int = {
        let used = Metric.allCases.reduce(0) { $0 + $1.family.cellCount }
        return (used + 7) / 8 * 8
    }()

    /// The first cell of `metric` (of its first label value) in a slot.
    @inline(__always)
    public static func offset(of metric: Metric) -> Int {
        offsets[metric.rawValue]
    }

    /// A hash of the schema (names, kinds, labels, buckets), stored in the
    /// header: a child built from another schema refuses the region instead
    /// of writing into the wrong cells.
    public static let fingerprint: UInt64 = {
        // FNV-1a, 64-bit.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for metric in Metric.allCases {
            let family = metric.family
            mix(family.name)
            mix(family.typeName)
            mix("\(family.cellCount)")
            for value in family.label?.values ?? [] { mix(value) }
            if case .histogram(let buckets) = family.kind {
                for bound in buckets.boundsNanoseconds { mix("\(bound)") }
                mix("\(buckets.unitNanoseconds)")
            }
        }
        return hash
    }()

    /// Bytes of a region with `slots` slots.
    public static func byteCount(slots: Int) -> Int {
        (headerCells + slots * cellsPerSlot) * MemoryLayout<UInt64>.size
    }
}
