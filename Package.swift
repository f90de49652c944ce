// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "serin",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "serin", targets: ["serin"]),
        .library(name: "SerinCore", targets: ["SerinCore"]),
    ],
    dependencies: [
        // Command-line parsing for the thin `serin` executable.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Property-based tests of the spec decoder (tests only).
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // System libraries from Debian's -dev packages. Shims live in each shim.h as static inline functions.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]),
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),

        // The pure domain: spec types, decoding, validation. No I/O, no clock, no globals.
        .target(name: "SerinCore", dependencies: ["CYAML"]),

        .executableTarget(
            name: "serin",
            dependencies: [
                "SerinCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(
            name: "SerinCoreTests",
            dependencies: [
                "SerinCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "CLibGit2Tests", dependencies: ["CLibGit2"]),
        .testTarget(name: "CCurlTests", dependencies: ["CCurl"]),
        .testTarget(name: "SerinCLITests", dependencies: ["serin"]),
    ],
    swiftLanguageModes: [.v6]
)
