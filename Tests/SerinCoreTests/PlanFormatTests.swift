import SerinCore
import Testing

@Suite("Plan formats")
struct PlanFormatTests {
    private var mixedPlan: Plan {
        plan(from: repository(modelDocument("fraud", version: "12", replicas: 2), modelDocument("old", prune: false),
                              modelDocument("same")),
             to: repository(modelDocument("fraud", version: "13", replicas: 2,
                                          rollout: "  rollout: {interval: 2m, gates: [{successRate: {min: 0.99}}], approval: {before: 50}}"),
                            modelDocument("iris", replicas: 3), modelDocument("same")))
    }

    private var invalidPlan: Plan {
        plan(from: repository(), to: repository(modelDocument("iris", replicas: 0), "kind: ModelDeployment\nmetadata: {name: \"a|b\"}\n"))
    }

    @Test func markdownHasAHeadingASummaryAndATable() {
        #expect(PlanFormat.markdown.render(mixedPlan, fromLabel: "main", toLabel: "pr-42") == """
        ### Serin plan: main → pr-42

        **1 to create, 1 new version, 1 removed, 1 unchanged**

        | Model | Change | Details |
        | --- | --- | --- |
        | ml/fraud | new version | 12 → 13; canary 10% → 25% → 50% → 100%, every 2m, gates: successRate ≥ 0.99; approval before 50%; also changes spec.rollout.interval, spec.rollout.gates, spec.rollout.approval |
        | ml/iris | created | version 1, 3 replicas; canary 10% → 25% → 50% → 100%, every 1m, no gates |
        | ml/old | removed | kept (prune: false) |

        """)
    }

    @Test func markdownListsTheErrorsOfAnInvalidPlanWithTheirLocations() {
        #expect(PlanFormat.markdown.render(invalidPlan, fromLabel: "main", toLabel: "pr-42") == """
        ### Serin plan: main → pr-42

        **Invalid: 4 errors in 2 files. Nothing would be applied until they are fixed.**

        #### Errors

        **ml/iris**

        | Location | Problem |
        | --- | --- |
        | deployments/0.yaml:7:13 | spec.replicas: found 0, expected a whole number of replicas, at least 1 |

        **default/a\\|b**

        | Location | Problem |
        | --- | --- |
        | deployments/1.yaml:1:1 | missing required field "apiVersion", expected serin.dev/v1alpha1 |
        | deployments/1.yaml:1:1 | missing required field "spec", expected a mapping with model and runtime |
        | deployments/1.yaml:2:18 | metadata.name: found the string "a\\|b", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "a-b"? |

        """)
    }

    @Test func markdownListsWarningsOfAValidPlanAfterTheChanges() {
        let plan = plan(from: repository(), to: repository(modelDocument("iris") + "---\napiVersion: v1\nkind: ConfigMap\n"))
        #expect(PlanFormat.markdown.render(plan, fromLabel: "main", toLabel: "pr-1") == """
        ### Serin plan: main → pr-1

        **1 to create, 1 warning**

        | Model | Change | Details |
        | --- | --- | --- |
        | ml/iris | created | version 1, 1 replica; canary 10% → 25% → 50% → 100%, every 1m, no gates |

        #### Warnings

        **ml/iris**

        | Location | Problem |
        | --- | --- |
        | deployments/0.yaml:12:7 | warning: kind: skipped: kind ConfigMap (v1) is not a Serin kind; Serin applies only ModelDeployment (serin.dev/v1alpha1); move other manifests out of the deployments root |

        """)
    }

    @Test func markdownEscapesWhatMarkdownWouldInterpret() {
        #expect(PlanFormat.markdown.render(Plan(from: repository(), to: repository()), fromLabel: "a|b*c_d`e", toLabel: "<script>[x](y) ~~z~~ $m$ &amp; #1 \\")
            == ##"""
        ### Serin plan: a\|b\*c\_d\`e → \<script\>\[x\](y) \~\~z\~\~ \$m\$ \&amp; \#1 \\

        **no changes**

        """##)
    }

    @Test func jsonCarriesEachChangeWithItsOwnFields() {
        #expect(PlanFormat.json.render(mixedPlan, fromLabel: "main", toLabel: "pr-42") == #"""
        {"valid":true,"from":"main","to":"pr-42","summary":{"created":1,"newVersion":1,"scaled":0,"reconfigured":0,"removed":1,"unchanged":1},"changes":[{"namespace":"ml","name":"fraud","change":"newVersion","fromVersion":"12","toVersion":"13","rollout":{"strategy":"canary","steps":[10,25,50,100],"interval":"2m","metrics":"serin","gates":[{"name":"successRate","kind":"successRate","threshold":">= 0.99"}],"approvalBefore":50},"alsoChanged":["spec.rollout.interval","spec.rollout.gates","spec.rollout.approval"]},{"namespace":"ml","name":"iris","change":"created","version":"1","replicas":3,"rollout":{"strategy":"canary","steps":[10,25,50,100],"interval":"1m","metrics":"serin","gates":[],"approvalBefore":null}},{"namespace":"ml","name":"old","change":"removed","pruned":false}],"diagnostics":[]}

        """#)
    }

    @Test func jsonOfAnInvalidPlanCarriesTheDiagnosticsWithTheirModel() {
        #expect(PlanFormat.json.render(invalidPlan, fromLabel: "main", toLabel: "pr-42") == #"""
        {"valid":false,"from":"main","to":"pr-42","summary":{"created":0,"newVersion":0,"scaled":0,"reconfigured":0,"removed":0,"unchanged":0},"changes":[],"diagnostics":[{"severity":"error","file":"deployments/0.yaml","line":7,"column":13,"path":"spec.replicas","message":"found 0, expected a whole number of replicas, at least 1","hint":null,"model":"ml/iris"},{"severity":"error","file":"deployments/1.yaml","line":1,"column":1,"path":"","message":"missing required field \"apiVersion\", expected serin.dev/v1alpha1","hint":null,"model":"default/a|b"},{"severity":"error","file":"deployments/1.yaml","line":1,"column":1,"path":"","message":"missing required field \"spec\", expected a mapping with model and runtime","hint":null,"model":"default/a|b"},{"severity":"error","file":"deployments/1.yaml","line":2,"column":18,"path":"metadata.name","message":"found the string \"a|b\", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)","hint":"did you mean \"a-b\"?","model":"default/a|b"}]}

        """#)
    }

    @Test func jsonNamesScaledReconfiguredAndRemovedFields() {
        let plan = plan(from: repository(modelDocument("a", replicas: 1), modelDocument("b"), modelDocument("c")),
                        to: repository(modelDocument("a", replicas: 2), modelDocument("b", image: "seldonio/mlserver:1.8.0")))
        #expect(PlanFormat.json.render(plan, fromLabel: "x", toLabel: "y") == #"""
        {"valid":true,"from":"x","to":"y","summary":{"created":0,"newVersion":0,"scaled":1,"reconfigured":1,"removed":1,"unchanged":0},"changes":[{"namespace":"ml","name":"a","change":"scaled","fromReplicas":1,"toReplicas":2},{"namespace":"ml","name":"b","change":"reconfigured","fields":["spec.runtime.image"]},{"namespace":"ml","name":"c","change":"removed","pruned":true}],"diagnostics":[]}

        """#)
    }
}
