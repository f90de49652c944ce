import SerinCore
import Testing

/// A ModelDeployment document with the fields plans compare; `rollout` is a line (or lines) under `spec`.
func modelDocument(_ name: String, namespace: String = "ml", version: String = "1", replicas: Int = 1,
                   image: String = "seldonio/mlserver:1.7.1", prune: Bool = true, rollout: String = "") -> String {
    """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: \(name), namespace: \(namespace)}
    spec:
      model: {version: "\(version)", uri: s3://models/\(name)/\(version)}
      runtime: {image: \(image)}
      replicas: \(replicas)
      prune: \(prune)
    \(rollout)

    """
}

/// A repository of one file per document, named after the document's position.
func repository(_ documents: String...) -> DesiredStateDecoding {
    DesiredState.decode(documents.enumerated().map { SourceFile(path: "deployments/\($0.offset).yaml", text: $0.element) })
}

func plan(from: DesiredStateDecoding, to: DesiredStateDecoding) -> Plan {
    Plan(from: from, to: to)
}

/// The text form's lines between the header and the summary.
func changeLines(_ plan: Plan) -> [String] {
    Array(PlanFormat.text.render(plan, fromLabel: "a", toLabel: "b").split(separator: "\n").dropFirst().dropLast().map(String.init))
}

@Suite("Plans: what merging would do")
struct PlanTests {
    private let fraudBefore = completeDocument.replacing("version: \"13\"", with: "version: \"12\"")
        .replacing("fraud-detector/13", with: "fraud-detector/12")

    @Test func aNewVersionDescribesItsCanary() {
        let plan = plan(from: repository(fraudBefore), to: repository(completeDocument))
        #expect(changeLines(plan) == [
            "ml-prod/fraud-detector: new version 12 → 13 (canary 10% → 25% → 50% → 100%, every 2m, gates: successRate ≥ 0.99, latency p99 ≤ 250ms, drift ≤ 0.2 (prometheus), smoke (webhook); approval before 100%)",
        ])
        #expect(plan.changes.map(\.change.kind) == [.newVersion])
    }

    @Test func aNewVersionListsOtherChangesOutsideTheModelSection() {
        let plan = plan(from: repository(modelDocument("iris", version: "1")),
                        to: repository(modelDocument("iris", version: "2", image: "seldonio/mlserver:1.8.0")))
        #expect(changeLines(plan) == [
            "ml/iris: new version 1 → 2 (canary 10% → 25% → 50% → 100%, every 1m, no gates), also changes spec.runtime.image",
        ])
    }

    @Test func blueGreenAndRecreateSaySo() {
        let plan = plan(
            from: repository(modelDocument("a", version: "1"), modelDocument("b", version: "1")),
            to: repository(modelDocument("a", version: "2", rollout: "  rollout: {strategy: blueGreen, gates: [{successRate: {min: 0.9}}]}"),
                           modelDocument("b", version: "2", rollout: "  rollout: {strategy: recreate, approval: {before: 100}}")))
        #expect(changeLines(plan) == [
            "ml/a: new version 1 → 2 (blueGreen: verified without traffic, then all traffic at once, gates: successRate ≥ 0.9), also changes spec.rollout.strategy, spec.rollout.steps, spec.rollout.gates",
            "ml/b: new version 1 → 2 (recreate: the old version stops before the new one starts, no gates; approval before 100%), also changes spec.rollout.strategy, spec.rollout.steps, spec.rollout.approval",
        ])
    }

    @Test func aNewModelIsCreatedWithItsRollout() {
        let plan = plan(from: repository(), to: repository(modelDocument("iris", replicas: 3)))
        #expect(plan.changes == [PlannedChange(key: DeploymentKey(namespace: "ml", name: "iris"),
                                               change: .created(version: "1", replicas: 3, rollout: RolloutSpec()))])
        #expect(changeLines(plan) == [
            "ml/iris: created at version 1 with 3 replicas (canary 10% → 25% → 50% → 100%, every 1m, no gates)",
        ])
    }

    @Test func onlyReplicasChangingIsAScale() {
        let plan = plan(from: repository(modelDocument("iris", replicas: 2)), to: repository(modelDocument("iris", replicas: 5)))
        #expect(plan.changes.map(\.change) == [.scaled(from: 2, to: 5)])
        #expect(changeLines(plan) == ["ml/iris: scaled 2 → 5 replicas"])
    }

    @Test func replicasWithAnythingElseIsAReconfiguration() {
        let plan = plan(from: repository(modelDocument("iris", replicas: 2)),
                        to: repository(modelDocument("iris", replicas: 5, image: "seldonio/mlserver:1.8.0")))
        #expect(changeLines(plan) == ["ml/iris: reconfigured spec.runtime.image, spec.replicas"])
    }

    @Test func aReconfigurationListsEachChangedFieldInDocumentOrder() {
        let before = modelDocument("iris", rollout: "  rollout: {steps: [10, 100]}\n  traffic: {provider: replicas}")
            .replacing("metadata: {name: iris, namespace: ml}", with: "metadata: {name: iris, namespace: ml, labels: {team: a}}")
            .replacing("runtime: {image: seldonio/mlserver:1.7.1}", with: "runtime: {image: seldonio/mlserver:1.7.1, resources: {memory: 1Gi}}")
        let after = modelDocument("iris", rollout: "  rollout: {steps: [20, 100]}\n  traffic: {provider: replicas}")
            .replacing("metadata: {name: iris, namespace: ml}", with: "metadata: {name: iris, namespace: ml, labels: {team: b}}")
            .replacing("runtime: {image: seldonio/mlserver:1.7.1}", with: "runtime: {image: seldonio/mlserver:1.7.1, resources: {memory: 2Gi}}")
        let plan = plan(from: repository(before), to: repository(after))
        #expect(plan.changes.map(\.change) == [.reconfigured(fields: [
            FieldPath.root / "metadata" / "labels",
            FieldPath.root / "spec" / "runtime" / "resources" / "memory",
            FieldPath.root / "spec" / "rollout" / "steps",
        ])])
        #expect(changeLines(plan) == ["ml/iris: reconfigured metadata.labels, spec.runtime.resources.memory, spec.rollout.steps"])
    }

    @Test func aRemovedModelIsPrunedWhenTheSourceSaysSo() {
        let plan = plan(from: repository(modelDocument("iris", prune: true)), to: repository())
        #expect(plan.changes.map(\.change) == [.removed(pruned: true)])
        #expect(changeLines(plan) == ["ml/iris: removed, pruned"])
    }

    @Test func aRemovedModelWithPruneFalseIsKept() {
        let plan = plan(from: repository(modelDocument("iris", prune: false)), to: repository())
        #expect(plan.changes.map(\.change) == [.removed(pruned: false)])
        #expect(changeLines(plan) == ["ml/iris: removed, kept (prune: false)"])
    }

    @Test func unchangedModelsAreCountedNotListed() {
        let models = repository(modelDocument("a"), modelDocument("b"))
        let plan = plan(from: models, to: models)
        #expect(plan.changes.isEmpty)
        #expect(plan.unchangedCount == 2)
        #expect(PlanFormat.text.render(plan, fromLabel: "main", toLabel: "pr-1") == """
        Plan from main to pr-1
        no changes, 2 unchanged

        """)
    }

    @Test func movingADocumentToAnotherFileIsNoChange() {
        let plan = plan(from: DesiredState.decode([SourceFile(path: "a.yaml", text: modelDocument("iris"))]),
                        to: DesiredState.decode([SourceFile(path: "b.yaml", text: "# moved\n" + modelDocument("iris"))]))
        #expect(plan.changes.isEmpty)
        #expect(plan.unchangedCount == 1)
    }

    @Test func changesAreSortedByNamespaceThenName() {
        let plan = plan(from: repository(modelDocument("gone", namespace: "b")),
                        to: repository(modelDocument("z", namespace: "a"), modelDocument("a", namespace: "c"),
                                       modelDocument("a", namespace: "a")))
        #expect(plan.changes.map(\.key.description) == ["a/a", "a/z", "b/gone", "c/a"])
    }

    @Test func theSummaryCountsEachKindThenTheUnchanged() {
        let plan = plan(
            from: repository(modelDocument("new-version", version: "12"), modelDocument("removed"),
                             modelDocument("same-1"), modelDocument("same-2"), modelDocument("same-3")),
            to: repository(modelDocument("new-version", version: "13"), modelDocument("created-1"), modelDocument("created-2"),
                           modelDocument("same-1"), modelDocument("same-2"), modelDocument("same-3")))
        #expect(PlanFormat.text.render(plan, fromLabel: "main", toLabel: "pr-42").split(separator: "\n").last
            == "2 to create, 1 new version, 1 removed, 3 unchanged")
    }

    @Test func warningsOfTheTargetAreShownButDoNotInvalidate() {
        let plan = plan(from: repository(), to: repository(modelDocument("iris") + "---\napiVersion: v1\nkind: ConfigMap\n"))
        #expect(plan.isValid)
        #expect(PlanFormat.text.render(plan, fromLabel: "main", toLabel: "pr-1") == """
        Plan from main to pr-1
        ml/iris: created at version 1 with 1 replica (canary 10% → 25% → 50% → 100%, every 1m, no gates)
        deployments/0.yaml:12:7: warning: kind: skipped: kind ConfigMap (v1) is not a Serin kind; Serin applies only ModelDeployment (serin.dev/v1alpha1); move other manifests out of the deployments root
        1 to create, 1 warning

        """)
    }
}

@Suite("Plans of an invalid target revision")
struct InvalidPlanTests {
    private let broken = repository(
        modelDocument("iris", replicas: 0),
        modelDocument("a") + "---\n" + modelDocument("b", version: ""),
        "kind: ModelDeployment\nmetadata: [unreadable]\n")

    @Test func anInvalidTargetPlansNothingAndCarriesItsErrors() {
        let plan = plan(from: repository(modelDocument("iris")), to: broken)
        #expect(!plan.isValid)
        #expect(plan.changes.isEmpty)
        #expect(plan.unchangedCount == 0)
        #expect(plan.errors.map { "\($0.file):\($0.mark.line)" } == ["deployments/0.yaml:7", "deployments/1.yaml:15", "deployments/2.yaml:1", "deployments/2.yaml:1", "deployments/2.yaml:2"])
    }

    @Test func errorsAreGroupedByModelWhenTheFileDefinesOneAndByFileOtherwise() {
        let plan = plan(from: repository(), to: broken)
        #expect(plan.problemGroups.map { "\($0.subject): \($0.diagnostics.count)" } == [
            "ml/iris: 1",
            "deployments/1.yaml: 1",
            "deployments/2.yaml: 3",
        ])
    }

    @Test func aDocumentWithErrorsIsAttributedToTheModelItNames() {
        let plan = plan(from: repository(), to: repository(modelDocument("Bad_Name", namespace: "ml")))
        #expect(plan.problemGroups.map(\.subject) == [.model(DeploymentKey(namespace: "ml", name: "Bad_Name"))])
    }

    @Test func textListsTheErrorsUnderTheirModelOrFile() {
        #expect(PlanFormat.text.render(plan(from: repository(), to: broken), fromLabel: "main", toLabel: "pr-7") == """
        Plan from main to pr-7: invalid, nothing would be applied
        ml/iris:
          deployments/0.yaml:7:13: error: spec.replicas: found 0, expected a whole number of replicas, at least 1
        deployments/1.yaml:
          deployments/1.yaml:15:20: error: spec.model.version: found the string "", expected a version of at most 63 letters, digits, '-', '_', '.' or '+', starting with a letter or digit
        deployments/2.yaml:
          deployments/2.yaml:1:1: error: missing required field "apiVersion", expected serin.dev/v1alpha1
          deployments/2.yaml:1:1: error: missing required field "spec", expected a mapping with model and runtime
          deployments/2.yaml:2:11: error: metadata: found a list, expected a mapping with name and namespace
        5 errors in 3 files

        """)
    }
}
