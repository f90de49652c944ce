// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "serin",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "serin", targets: ["serin"]),
        .library(name: "SerinCore", targets: ["SerinCore"]),
        .library(name: "SerinGit", targets: ["SerinGit"]),
        .library(name: "SerinHTTP", targets: ["SerinHTTP"]),
        .library(name: "SerinKube", targets: ["SerinKube"]),
        .library(name: "SerinGates", targets: ["SerinGates"]),
        .library(name: "SerinOperator", targets: ["SerinOperator"]),
        .library(name: "SerinKubeRuntime", targets: ["SerinKubeRuntime"]),
        .library(name: "KubeEmulator", targets: ["KubeEmulator"]),
        .library(name: "SerinRouter", targets: ["SerinRouter"]),
        .library(name: "SerinEndpoints", targets: ["SerinEndpoints"]),
        .executable(name: "kube-emulator", targets: ["kube-emulator"]),
        .executable(name: "serin-model-server", targets: ["serin-model-server"]),
    ],
    dependencies: [
        // Command-line parsing for the thin `serin` executable.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Structured logging in library code.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // SHA-1 HMAC for hashed known_hosts entries; later, webhook signatures.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // HTTP servers: the Kubernetes API emulator now, the model router later.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // TLS and HTTP/2 for the Kubernetes API emulator only: kubectl sends a bearer token over TLS alone, and
        // negotiates h2 there.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        // Operator metrics: recorded through the swift-metrics API, served by swift-prometheus at /metrics.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Graceful shutdown of `serin run`: SIGTERM/SIGINT stop the loop first, then the runtime.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Property-based tests of the spec decoder (tests only).
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // System libraries from Debian's -dev packages. Shims live in each shim.h as static inline functions.
        // YAML is read with libyaml's event parser (the parser under Yams) directly: building the node tree from
        // events lets SerinCore refuse deep nesting, alias bombs, too many documents and custom tags as they arrive,
        // rather than on a tree Yams has already composed, keep a line and column for every node, and read scalars
        // without YAML 1.1's `on`/`no` booleans.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]),
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),

        // The pure domain: spec types, decoding, validation. No I/O, no clock, no globals.
        .target(name: "SerinCore", dependencies: ["CYAML"]),

        // Git as Serin's input and ledger, through libgit2.
        .target(
            name: "SerinGit",
            dependencies: [
                "SerinCore",
                "CLibGit2",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // Starting child processes (credential plugins, model servers) the one safe way.
        .target(name: "SerinProcess"),

        // HTTP for every adapter (Kubernetes API, Prometheus, webhooks), on libcurl.
        .target(name: "SerinHTTP", dependencies: ["CCurl"]),

        // The Kubernetes API client Serin uses in production.
        .target(
            name: "SerinKube",
            dependencies: [
                "SerinCore",
                "SerinHTTP",
                "SerinProcess",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Gate adapters: Prometheus queries and webhook calls over SerinHTTP, judged by SerinCore's GateVerdict.
        .target(
            name: "SerinGates",
            dependencies: [
                "SerinCore",
                "SerinHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // A Kubernetes API server stand-in for tests (no kube-apiserver can run here), held honest by kubectl and by
        // responses recorded from a real kube-apiserver.
        .target(
            name: "KubeEmulator",
            dependencies: [
                "SerinCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What Serin's NIO servers (the router, the endpoints) share: their open connections, drained at stop.
        .target(
            name: "SerinServerSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The local runtime's weighted HTTP router in front of model server processes.
        .target(
            name: "SerinRouter",
            dependencies: [
                "SerinCore",
                "SerinServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The operator's own HTTP endpoints: webhooks that trigger a Git sync, Prometheus metrics, health and
        // readiness. Pure verification and parsing, a thin SwiftNIO server.
        .target(
            name: "SerinEndpoints",
            dependencies: [
                "SerinCore",
                "SerinServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "kube-emulator",
            dependencies: [
                "KubeEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The operator: work queue, per-model reconciles and the loop that feeds them. Wires the adapters together.
        .target(
            name: "SerinOperator",
            dependencies: [
                "SerinCore",
                "SerinGit",
                "SerinGates",
                "SerinEndpoints",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The embedded runtime: model servers as local processes behind Serin's router.
        .target(
            name: "SerinLocalRuntime",
            dependencies: [
                "SerinCore",
                "SerinHTTP",
                "SerinProcess",
                "SerinOperator",
                "SerinGates",
                "SerinRouter",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // A tiny Open Inference Protocol v2 server for a linear model, with fault injection: the quickstart's and
        // the tests' model server, so a bad version can be shown being rolled back without Python.
        .target(
            name: "ReferenceModelServer",
            dependencies: [
                "SerinCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "serin-model-server",
            dependencies: [
                "ReferenceModelServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The Kubernetes implementation of the operator's ModelRuntime: Deployments, Services and traffic weights.
        .target(
            name: "SerinKubeRuntime",
            dependencies: [
                "SerinCore",
                "SerinKube",
                "SerinOperator",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "serin",
            dependencies: [
                "SerinCore",
                "SerinGit",
                "SerinGates",
                "SerinOperator",
                "SerinLocalRuntime",
                "SerinRouter",
                "SerinKube",
                "SerinKubeRuntime",
                "SerinEndpoints",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .testTarget(
            name: "SerinCoreTests",
            dependencies: [
                "SerinCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // Process and server helpers shared by the test targets (not shipped): child processes in their own
        // process group, loopback ports, temporary directories.
        .target(
            name: "TestSupport",
            dependencies: ["SerinGit", "SerinGates", "SerinOperator", "SerinProcess", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Support"
        ),
        .testTarget(name: "SerinGitTests", dependencies: ["SerinGit", "SerinCore", "TestSupport"]),
        .testTarget(name: "SerinKubeTests", dependencies: ["SerinKube", "SerinHTTP", "KubeEmulator", "SerinCore"]),
        .testTarget(
            name: "SerinGatesTests",
            dependencies: [
                "SerinGates",
                "SerinCore",
                "SerinHTTP",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // kube-emulator: its command-line tests run the built executable.
        .testTarget(name: "KubeEmulatorTests", dependencies: ["KubeEmulator", "kube-emulator", "SerinCore"]),
        .testTarget(
            name: "SerinLocalRuntimeTests",
            dependencies: ["TestSupport", "SerinLocalRuntime", "SerinOperator", "SerinCore", "SerinGit", "SerinGates", "SerinHTTP", "SerinProcess", "SerinRouter", "serin-model-server"]
        ),
        .testTarget(name: "SerinOperatorTests", dependencies: ["TestSupport", "SerinOperator", "SerinCore", "SerinGit"]),
        .testTarget(
            name: "SerinRouterTests",
            dependencies: [
                "SerinRouter",
                "SerinCore",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SerinKubeRuntimeTests",
            dependencies: ["TestSupport", "SerinKubeRuntime", "SerinOperator", "SerinKube", "SerinGit", "SerinCore", "KubeEmulator",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "SerinEndpointsTests",
            dependencies: [
                "SerinEndpoints",
                "SerinCore",
                "SerinHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "CLibGit2Tests", dependencies: ["CLibGit2"]),
        .testTarget(name: "CCurlTests", dependencies: ["CCurl"]),
        .testTarget(
            name: "SerinCLITests",
            dependencies: ["serin", "serin-model-server", "kube-emulator", "SerinHTTP", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "ReferenceModelServerTests", dependencies: ["SerinProcess", "ReferenceModelServer", "serin-model-server", "SerinCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
