// swift-tools-version:6.0
// MaChat: a multi-process chat server. No package dependencies: toolchain only.
import PackageDescription

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
        .target(name: "Reactor", dependencies: ["CLinux"]),
        .target(name: "RouterProtocol"),
        .target(name: "WebSocket"),
        .target(name: "GatewayCore", dependencies: ["Reactor", "RouterProtocol", "WebSocket"]),
        .target(name: "RouterCore", dependencies: ["Reactor", "RouterProtocol"]),
        .executableTarget(name: "machat-router", dependencies: ["RouterCore"]),
        .executableTarget(name: "machat-tcp-gateway", dependencies: ["GatewayCore"]),
        .executableTarget(name: "machat-ws-gateway", dependencies: ["GatewayCore", "WebSocket"]),
        .executableTarget(
            name: "machat",
            dependencies: ["Reactor", "GatewayCore", "machat-router", "machat-tcp-gateway", "machat-ws-gateway"]
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
        .testTarget(name: "RouterTests", dependencies: ["RouterProtocol", "RouterCore"]),
        .testTarget(name: "GatewayTests", dependencies: ["GatewayCore", "WebSocket", "Reactor"]),
        .testTarget(name: "EndToEnd", dependencies: ["Reactor", "WebSocket", "ChatClientKit"]),
    ],
    swiftLanguageModes: [.v6]
)
