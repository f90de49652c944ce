// swift-tools-version: 6.1
// Benchmarks live in their own package so that neither CI nor users build them by accident.
// Run: make benchmark (or: swift run -c release --package-path Benchmarks)
import PackageDescription

let package = Package(
    name: "serin-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "serin", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "SerinBenchmarks",
            dependencies: [
                .product(name: "SerinCore", package: "serin"),
                .product(name: "SerinGit", package: "serin"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SerinBenchmarks"
        ),
        .executableTarget(
            name: "InformerBenchmarks",
            dependencies: [
                .product(name: "SerinCore", package: "serin"),
                .product(name: "SerinKube", package: "serin"),
                .product(name: "KubeEmulator", package: "serin"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/InformerBenchmarks"
        ),
        .executableTarget(
            name: "OperatorBenchmarks",
            dependencies: [
                .product(name: "SerinCore", package: "serin"),
                .product(name: "SerinHTTP", package: "serin"),
                .product(name: "SerinKube", package: "serin"),
                .product(name: "KubeEmulator", package: "serin"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/OperatorBenchmarks"
        ),
        .executableTarget(
            name: "RouterBenchmarks",
            dependencies: [
                .product(name: "SerinCore", package: "serin"),
                .product(name: "SerinRouter", package: "serin"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/RouterBenchmarks"
        ),
    ],
    swiftLanguageModes: [.v6]
)
