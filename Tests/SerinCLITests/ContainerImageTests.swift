import Foundation
import Testing

/// The Dockerfile cannot be built here (no Docker engine), so what makes the image work is checked on the binary
/// built for the tests: every library `ldd` lists for it must come with the Debian packages the runtime stage installs.
@Suite("The container image")
struct ContainerImageTests {
    static let dockerfile = ClusterInstall.root.appendingPathComponent("Dockerfile")

    /// The packages of the Dockerfile's last stage's `apt-get install`.
    static func runtimePackages() throws -> [String] {
        let text = try String(contentsOf: dockerfile, encoding: .utf8).replacingOccurrences(of: "\\\n", with: " ")
        guard let stage = text.components(separatedBy: "\nFROM ").last,
              let install = stage.range(of: "apt-get install") else { return [] }
        let words = stage[install.upperBound...].prefix { $0 != "&" && $0 != "\n" }.split(whereSeparator: \.isWhitespace)
        return words.map(String.init).filter { !$0.hasPrefix("-") }
    }

    /// The Debian package that installed `path`, by dpkg's database (which may list it under /usr or not).
    static func package(owning path: String) throws -> String? {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        for candidate in [path, real, "/usr" + path, "/usr" + real, path.replacingOccurrences(of: "/usr/lib/", with: "/lib/")] {
            let result = try ClusterInstall.run("/usr/bin/dpkg", ["-S", candidate])
            if result.status == 0, let owner = result.output.split(separator: ":").first { return String(owner) }
        }
        return nil
    }

    /// `packages` and everything they depend on, by the installed packages' Depends and Pre-Depends.
    static func closure(of packages: [String]) throws -> Set<String> {
        var seen: Set<String> = []
        var queue = packages
        while let next = queue.popLast() {
            guard seen.insert(next).inserted else { continue }
            let result = try ClusterInstall.run("/usr/bin/dpkg-query", ["-W", "-f", "${Depends}, ${Pre-Depends}", next])
            guard result.status == 0 else { continue }
            for alternatives in result.output.split(separator: ",") {
                for alternative in alternatives.split(separator: "|") {
                    let name = alternative.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace && $0 != ":" && $0 != "(" }
                    if !name.isEmpty { queue.append(String(name)) }
                }
            }
        }
        return seen
    }

    @Test func everyLibraryTheSerinBinaryLinksComesWithTheRuntimeStagesPackages() throws {
        let ldd = try ClusterInstall.run("/usr/bin/ldd", [ValidateCommandTests.executable.path])
        try #require(ldd.status == 0, "\(ldd.output)")
        // `name => /path (address)`, or `/path (address)` for the loader; the vDSO has no file.
        let paths = ldd.output.split(separator: "\n").compactMap { line -> String? in
            let target = line.components(separatedBy: "=>").last?.trimmingCharacters(in: .whitespaces) ?? ""
            return target.hasPrefix("/") ? String(target.prefix { !$0.isWhitespace }) : nil
        }
        try #require(!paths.isEmpty, "\(ldd.output)")
        // The Swift runtime and Foundation are linked statically into the image's binary (--static-swift-stdlib);
        // the tests' debug build links them from the toolchain.
        let dockerfile = try String(contentsOf: Self.dockerfile, encoding: .utf8)
        #expect(dockerfile.contains("--static-swift-stdlib"))
        let toolchain = paths.filter { $0.contains("/swift/") }
        #expect(toolchain.allSatisfy { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix("lib") }, "\(toolchain)")

        let packages = try Self.runtimePackages()
        let installed = try Self.closure(of: packages)
        var missing: [String] = []
        for path in paths where !path.contains("/swift/") {
            guard let owner = try Self.package(owning: path) else {
                missing.append("\(path) (no Debian package owns it)")
                continue
            }
            // glibc (libc, libm, the loader) is in every Debian image.
            if owner == "libc6" { continue }
            if !installed.contains(owner) { missing.append("\(path) from \(owner)") }
        }
        #expect(missing.isEmpty, "the runtime stage installs \(packages), which do not bring: \(missing)")
    }

    @Test func theRuntimeStageInstallsOnlyLibgit2LibcurlLibyamlTheCppRuntimeAndCACertificates() throws {
        #expect(try Self.runtimePackages().sorted() == ["ca-certificates", "libcurl4", "libgcc-s1", "libgit2-1.5", "libstdc++6", "libyaml-0-2"])
    }

    @Test func theImageRunsSerinRunAsANonRootUserOnSlimDebian() throws {
        let text = try String(contentsOf: Self.dockerfile, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("FROM ") } == ["FROM swift:6.3.1-bookworm AS build", "FROM debian:bookworm-slim"])
        #expect(lines.last { $0.hasPrefix("USER ") } == "USER 65532:65532")
        #expect(lines.last { $0.hasPrefix("ENTRYPOINT ") } == #"ENTRYPOINT ["serin", "run"]"#)
    }
}
