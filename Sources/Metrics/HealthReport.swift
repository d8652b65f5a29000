/// What `/healthz` says: healthy when the router, the history store and every
/// gateway run, the router reaches what it keeps rooms in (Redis, the store)
/// and every gateway's link to the router is up; otherwise each problem, named.
public struct HealthReport: Equatable, Sendable {
    /// Problems in process order, e.g. `router down`, `ws-gateway-1 not linked to the router`.
    public let problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    /// Judges the node from the supervisor's samples.
    public init(samples: [ProcessSample], stopping: Bool) {
        var problems: [String] = []
        if stopping { problems.append("machat is stopping") }
        for sample in samples {
            switch sample.role {
            case .supervisor:
                continue
            case .router:
                if !sample.isUp {
                    problems.append("\(sample.name) down")
                } else if sample.gauge(.backingUp) != 1 {
                    problems.append("\(sample.name) cannot commit to Redis or the history store")
                }
            case .store:
                if !sample.isUp { problems.append("\(sample.name) down") }
            case .gateway:
                if !sample.isUp {
                    problems.append("\(sample.name) down")
                } else if sample.gauge(.routerLinkUp) != 1 {
                    problems.append("\(sample.name) not linked to the router")
                }
            }
        }
        self.problems = problems
    }

    public var isHealthy: Bool { problems.isEmpty }

    /// The response body: `ok`, or the problems joined by `, `; one line.
    public var body: String {
        isHealthy ? "ok\n" : problems.joined(separator: ", ") + "\n"
    }
}
