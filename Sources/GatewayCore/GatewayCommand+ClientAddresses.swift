@preconcurrency import Glibc
import Reactor

/// The flags about client addresses: per-address abuse limits and the PROXY
/// protocol. They are part of `limitSpecs`, so `machat` accepts them and
/// passes them to every gateway.
extension GatewayCommand {
    static let clientAddressSpecs: [FlagSpec] = {
        let d = GatewayLimits()
        return [
            FlagSpec(
                "max-connections-per-ip", "N", default: String(d.maxConnectionsPerAddress),
                "connections one client address (IPv6: one /64) may hold on a gateway; more are refused (0: no limit)"),
            FlagSpec(
                "joins-per-ip", "RATE", default: "\(Int(d.joinsPerAddressPerSecond))/s",
                "joins one client address may make, sustained: N/s, N/m or N/h (0: no limit)"),
            FlagSpec(
                "join-burst-per-ip", "N", default: String(Int(d.joinBurstPerAddress)),
                "joins one client address may make at once above -joins-per-ip (0: no limit)"),
            FlagSpec(
                "proxy-protocol", nil,
                "connections from -trusted-proxies start with a PROXY protocol header (v1 or v2) giving the client's address; -proxy-protocol=tcp or =ws: one kind of gateway only"
            ),
            FlagSpec(
                "trusted-proxies", "LIST",
                "comma-separated IPs or CIDR blocks (IPv4, IPv6) of the proxies in front: with -proxy-protocol they send PROXY headers; without, they are not limited per address"
            ),
        ]
    }()

    /// Reads the per-address limit flags into `limits`; a bad value is
    /// reported and the program exits 2.
    static func addressLimits(from flags: CommandLineFlags, program: String, into limits: inout GatewayLimits) {
        limits.maxConnectionsPerAddress = flags.int("max-connections-per-ip", program: program)
        let burst = flags.int("join-burst-per-ip", program: program)
        guard let rate = parseRate(flags.string("joins-per-ip")) else {
            fail(program, "-joins-per-ip must be a rate such as 1000/s, 600/m or 0, got \"\(flags.string("joins-per-ip"))\"")
        }
        guard limits.maxConnectionsPerAddress >= 0, burst >= 0 else {
            fail(program, "-max-connections-per-ip and -join-burst-per-ip must be 0 (off) or more")
        }
        limits.joinsPerAddressPerSecond = rate
        limits.joinBurstPerAddress = Double(burst)
    }

    /// The PROXY protocol policy for one kind of gateway; a bad combination
    /// is reported and the program exits 2.
    static func proxyProtocolPolicy(from flags: CommandLineFlags, program: String, webSocket: Bool) -> ProxyProtocolPolicy? {
        switch ProxyProtocolPolicy.fromFlags(
            enabled: flags.string("proxy-protocol"), trusted: flags.string("trusted-proxies"), webSocket: webSocket)
        {
        case .success(let policy): return policy
        case .failure(let error): fail(program, error.description)
        }
    }

    /// Checks every gateway flag `machat` was given, so a bad one stops
    /// `machat` at start-up with the reason instead of making its gateways
    /// exit and be restarted over and over. Exits 2 on the first problem.
    public static func checkGatewayFlags(_ flags: CommandLineFlags, program: String) {
        _ = limits(from: flags, program: program)
        _ = proxyProtocolPolicy(from: flags, program: program, webSocket: false)
    }

    /// `1000/s` → 1000, `600/m` → 10, `0` → 0 (off); a bare number is per
    /// second. Nil for anything else.
    static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let count = Int(parts[0]), count >= 0 else { return nil }
        guard parts.count == 2 else { return Double(count) }
        let seconds: Double
        switch parts[1] {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        default: return nil
        }
        return Double(count) / seconds
    }

    private static func fail(_ program: String, _ message: String) -> Never {
        Log.error(message, ["program": program])
        exit(2)
    }
}
