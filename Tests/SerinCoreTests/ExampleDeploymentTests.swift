import Foundation
import SerinCore
import Testing

/// The examples in examples/deployments are what new users copy first: they must stay valid.
@Suite("Examples")
struct ExampleDeploymentTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/deployments")

    private func examples() throws -> [SourceFile] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter(SourceFile.isManifest).sorted()
        return try names.map { name in
            SourceFile(path: "examples/deployments/" + name, contents: Array(try Data(contentsOf: Self.directory.appendingPathComponent(name))))
        }
    }

    @Test func everyExampleIsValidWithoutWarnings() throws {
        let decoding = DesiredState.decode(try examples())
        #expect(decoding.diagnostics.isEmpty, "\(decoding.diagnostics.map(\.description))")
    }

    @Test func examplesCoverMLServerTorchServeAndAGPUServedLLM() throws {
        let deployments = DesiredState.decode(try examples()).state.deployments
        let images = deployments.compactMap(\.spec.runtime.image)
        #expect(images.contains { $0.contains("mlserver") })
        #expect(images.contains { $0.contains("torchserve") })
        #expect(images.contains { $0.contains("vllm") })
        #expect(deployments.contains { ($0.spec.runtime.resources.gpu ?? 0) >= 1 })
        #expect(deployments.allSatisfy { !$0.spec.rollout.gates.isEmpty })
    }
}
