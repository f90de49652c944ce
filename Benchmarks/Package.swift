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
    ],
    swiftLanguageModes: [.v6]
)
