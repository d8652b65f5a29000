/// Every metric MaChat exports: the schema. The order of the cases is the
/// order of the exposition and of the cells in a slot. Adding a metric is a
/// case and its row in `family` (the compiler insists on both); its cells,
/// the region's layout and its fingerprint follow, and a process resolves a
/// handle to it once (`MetricsSlot.counter(_:)` and friends).
///
/// Names, types and units follow the Prometheus conventions: a `machat_`
/// prefix (the `process_` families are the standard ones), `_total` on
/// counters, base units (seconds, bytes). Every slot family also gets a
/// `process` label (`router`, `tcp-gateway-1`, …), and gateway families a
/// `protocol` label (`tcp`, `ws`).
public enum Metric: Int, CaseIterable, Sendable {
    // Gateways.
    case connections
    case connectionsAccepted
    case joins
    case joinRefusals
    case linesIn
    case linesNotAccepted
    case deliveries
    case clientReceivedBytes
    case clientSentBytes
    case slowConsumerDisconnects
    case rateLimited
    case heldBytes
    case routerLinkUp
    case deliveryLatency
    // The router.
    case rooms
    case members
    case historyLines
    case historyBytes
    case linesOrdered
    case backingUp
    case backingRoundTrip
    // The supervisor, about every process.
    case childUp
    case childRestarts
    case residentMemory
    case cpuSeconds

    /// The table: one row per metric.
    public var family: MetricFamily {
        switch self {
        case .connections:
            .init("machat_connections", .gauge, .slot(.gateway), help: "Client connections open now.")
        case .connectionsAccepted:
            .init("machat_connections_accepted_total", .counter, .slot(.gateway), help: "Client connections accepted.")
        case .joins:
            .init(
                "machat_joins_total", .counter, .slot(.gateway),
                help: "Joins the router accepted (replays after a router restart are not counted).")
        case .joinRefusals:
            .init(
                "machat_join_refusals_total", .counter, .slot(.gateway), label: JoinRefusalReason.label,
                help: "Connections refused instead of joined, by reason.")
        case .linesIn:
            .init("machat_lines_in_total", .counter, .slot(.gateway), help: "Lines from clients relayed to the router.")
        case .linesNotAccepted:
            .init(
                "machat_lines_not_accepted_total", .counter, .slot(.gateway),
                help: "Lines refused with an error because the held-line bounds were reached.")
        case .deliveries:
            .init(
                "machat_deliveries_total", .counter, .slot(.gateway),
                help: "Live lines written to members, one per recipient.")
        case .clientReceivedBytes:
            .init("machat_client_received_bytes_total", .counter, .slot(.gateway), help: "Bytes read from client sockets.")
        case .clientSentBytes:
            .init("machat_client_sent_bytes_total", .counter, .slot(.gateway), help: "Bytes written to client sockets.")
        case .slowConsumerDisconnects:
            .init(
                "machat_slow_consumer_disconnects_total", .counter, .slot(.gateway),
                help: "Clients disconnected because their unsent bytes passed -max-outbound.")
        case .rateLimited:
            .init(
                "machat_rate_limited_total", .counter, .slot(.gateway),
                help: "Times a client was paused for sending faster than -rate/-burst.")
        case .heldBytes:
            .init(
                "machat_held_bytes", .gauge, .slot(.gateway),
                help: "Bytes of frames sent to the router and not yet acknowledged (the held-frame log).")
        case .routerLinkUp:
            .init(
                "machat_router_link_up", .gauge, .slot(.gateway),
                help: "1 while the gateway's link to the router is up, else 0.")
        case .deliveryLatency:
            .init(
                "machat_delivery_latency_seconds", .histogram(.latencyMilliseconds), .slot(.gateway),
                help: "Time from the router ordering a line to its gateway writing it (wall clocks, 1 ms resolution).")
        case .rooms:
            .init("machat_rooms", .gauge, .slot(.router), help: "Rooms with members.")
        case .members:
            .init("machat_members", .gauge, .slot(.router), help: "Members in all rooms.")
        case .historyLines:
            .init("machat_history_lines", .gauge, .slot(.router), help: "Lines held in the rooms' history.")
        case .historyBytes:
            .init("machat_history_bytes", .gauge, .slot(.router), help: "Memory of the rooms' history, in bytes.")
        case .linesOrdered:
            .init("machat_lines_ordered_total", .counter, .slot(.router), help: "Lines the router's engine ordered.")
        case .backingUp:
            .init(
                "machat_backing_up", .gauge, .slot(.router),
                help:
                    "1 while the service the router keeps rooms in (every Redis shard with -redis, the history store "
                    + "with -data-dir) is reachable and committing, else 0; always 1 with neither.")
        case .backingRoundTrip:
            .init(
                "machat_backing_round_trip_seconds", .histogram(.roundTripMicroseconds), .slot(.router),
                help: "Time from the router sending a batch of operations to Redis or the history store to its answer.")
        case .childUp:
            .init("machat_child_up", .gauge, .supervisor(.up), help: "1 while the child process runs, else 0.")
        case .childRestarts:
            .init(
                "machat_child_restarts_total", .counter, .supervisor(.restarts),
                help: "Restarts of a child process after it exited unexpectedly.")
        case .residentMemory:
            .init(
                "process_resident_memory_bytes", .gauge, .supervisor(.residentBytes), help: "Resident memory size in bytes.")
        case .cpuSeconds:
            .init(
                "process_cpu_seconds_total", .counter, .supervisor(.cpuSeconds),
                help: "Total user and system CPU time spent in seconds.")
        }
    }
}
