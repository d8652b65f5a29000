// swift-tools-version:6.0
// MaChat: a multi-process chat server. No package dependencies: toolchain only.
import PackageDescription

// Server processes are single-threaded by design (one epoll loop each), so
// release builds of their modules skip what only threads need: atomic
// reference counting and dynamic exclusivity checks. Profiling showed these at
// over a third of the router's time. Debug builds and tests keep both.
let serverSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-Xfrontend", "-assume-single-threaded"], .when(configuration: .release))
]

let package = Package(
    name: "MaChat",
    products: [
        .executable(name: "machat", targets: ["machat"]),
        .executable(name: "machat-router", targets: ["machat-router"]),
        .executable(name: "machat-tcp-gateway", targets: ["machat-tcp-gateway"]),
        .executable(name: "machat-ws-gateway", targets: ["machat-ws-gateway"]),
        .executable(name: "chattcpclient", targets: ["chattcpclient"]),
        .executable(name: "chatwebsocketclient", targets: ["chatwebsocketclient"]),
        .executable(name: "machat-bench", targets: ["machat-bench"]),
    ],
    targets: [
        // C shim exposing epoll, eventfd, signalfd, timerfd and prctl to Swift.
        .target(name: "CLinux"),
        .target(name: "Reactor", dependencies: ["CLinux", "CSharedMemory"], swiftSettings: serverSettings),
        .target(name: "RouterProtocol", swiftSettings: serverSettings),
        .target(name: "WebSocket", swiftSettings: serverSettings),
        .target(
            name: "GatewayCore", dependencies: ["Reactor", "RouterProtocol", "WebSocket", "WebAssets", "Metrics", "Auth"],
            swiftSettings: serverSettings),
        .target(
            name: "RouterCore", dependencies: ["Reactor", "RouterProtocol", "Redis", "Metrics", "StoreClient", "StoreProtocol"],
            swiftSettings: serverSettings),
        .executableTarget(name: "machat-router", dependencies: ["RouterCore"], swiftSettings: serverSettings),
        .executableTarget(name: "machat-tcp-gateway", dependencies: ["GatewayCore"], swiftSettings: serverSettings),
        .executableTarget(name: "machat-ws-gateway", dependencies: ["GatewayCore", "WebSocket"], swiftSettings: serverSettings),
        .executableTarget(
            name: "machat",
            dependencies: [
                "Reactor", "GatewayCore", "RouterCore", "Metrics", "Auth", "Store", "machat-router", "machat-tcp-gateway",
                "machat-ws-gateway", "machat-store",
            ]
        ),
        // What the example clients (and the benchmark) share: join encoding,
        // addresses, the stdin/socket relay.
        .target(name: "ChatClientKit", dependencies: ["Reactor"], path: "Sources/clients/ChatClientKit"),
        .executableTarget(
            name: "chattcpclient", dependencies: ["Reactor", "ChatClientKit"], path: "Sources/clients/chattcpclient"),
        .executableTarget(
            name: "chatwebsocketclient", dependencies: ["Reactor", "WebSocket", "ChatClientKit"],
            path: "Sources/clients/chatwebsocketclient"),
        .executableTarget(
            name: "machat-bench", dependencies: ["Reactor", "WebSocket", "ChatClientKit"],
            path: "Sources/clients/machat-bench"),
        // (anchor: Metrics targets)
        // Node metrics: the schema, the shared-memory region every process
        // counts into, the Prometheus text format, /metrics and /healthz.
        .target(name: "CSharedMemory"),
        .target(name: "Metrics", dependencies: ["CSharedMemory", "Reactor", "WebSocket"], swiftSettings: serverSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Reactor", "WebSocket"]),
        // (anchor: Redis targets)
        // SHA-1 names Lua scripts; WebSocket's (the handshake's) is the one implementation.
        .target(name: "Redis", dependencies: ["Reactor", "WebSocket"], swiftSettings: serverSettings),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "Reactor"]),
        // (anchor: Auth targets)
        // Optional HS256 join tokens: SHA-256, HMAC, base64url, a strict JSON
        // reader and the JWT checks, in pure Swift (no Foundation, no packages).
        .target(name: "Auth", swiftSettings: serverSettings),
        .testTarget(name: "AuthTests", dependencies: ["Auth"]),
        // (anchor: Store targets)
        // Room history on disk: the system's SQLite, the router ⇄ store
        // protocol (no I/O), the store process's library and the router's client.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "StoreProtocol", swiftSettings: serverSettings),
        .target(name: "Store", dependencies: ["CSQLite", "Reactor", "StoreProtocol"], swiftSettings: serverSettings),
        .target(name: "StoreClient", dependencies: ["Reactor", "StoreProtocol"], swiftSettings: serverSettings),
        .executableTarget(name: "machat-store", dependencies: ["Store", "Reactor"], swiftSettings: serverSettings),
        .testTarget(name: "StoreTests", dependencies: ["Store", "StoreClient", "StoreProtocol", "Reactor"]),
        // (anchor: WebAssets targets)
        // The browser chat page (web/, embedded by web/embed.sh) and its static HTTP responder.
        .target(name: "WebAssets", dependencies: ["WebSocket"], swiftSettings: serverSettings),
        // Browser/ holds the Python browser harness and mock chat server the tests run as scripts.
        .testTarget(name: "WebAssetsTests", dependencies: ["WebAssets", "WebSocket"], exclude: ["Browser"]),
        .testTarget(name: "RouterTests", dependencies: ["RouterProtocol", "RouterCore", "Redis"]),
        .testTarget(name: "GatewayTests", dependencies: ["GatewayCore", "WebSocket", "Reactor"]),
        .testTarget(name: "EndToEnd", dependencies: ["Reactor", "WebSocket", "ChatClientKit"]),
    ],
    swiftLanguageModes: [.v6]
)
