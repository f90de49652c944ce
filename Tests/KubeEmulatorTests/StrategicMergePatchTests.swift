import Testing
@testable import KubeEmulator
import SerinCore

private func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

private func apply(_ patch: String, to document: String, kind: String = "Deployment") throws -> JSONValue {
    try StrategicMergePatch.apply(try json(patch), to: try json(document), kind: kind)
}

private func podSpec(_ containers: String) -> String {
    #"{"spec":{"template":{"spec":{"containers":"# + containers + "}}}}"
}

private func containers(_ document: JSONValue) -> JSONValue? {
    document[path: "spec", "template", "spec", "containers"]
}

/// Strategic merge patch as kube-apiserver applies it to built-in kinds: merge keys, primitive sets, ordering and
/// the `$patch`, `$deleteFromPrimitiveList`, `$setElementOrder` and `$retainKeys` directives.
@Suite struct StrategicMergePatchTests {
    // MARK: Lists merged by key

    /// The recorded exchange: a patch naming one container changes its image and keeps the server's fields.
    @Test func containersMergeByNameAsTheRecordedServerDid() throws {
        let live = podSpec(#"[{"name":"model","image":"example/model:2","resources":{},"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}]"#)
        let patched = try apply(podSpec(#"[{"name":"model","image":"example/model:3"}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"model","image":"example/model:3","resources":{},"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}]"#)))
    }

    /// What kubectl 1.32 sent for `kubectl apply` of a changed image (kubectl-requests.log).
    @Test func kubectlClientSideApplyPatch() throws {
        let live = try json(#"""
            {"kind":"Deployment","metadata":{"name":"kprobe","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"old"}},
             "spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"kprobe"}},"spec":{"containers":[
               {"name":"c","image":"example/model:1","terminationMessagePolicy":"File"}],"restartPolicy":"Always"}}}}
            """#)
        let patch = try json(#"""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
             "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"image":"example/model:2","name":"c"}]}}}}
            """#)
        let expected = try json(#"""
            {"kind":"Deployment","metadata":{"name":"kprobe","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
             "spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"kprobe"}},"spec":{"containers":[
               {"name":"c","image":"example/model:2","terminationMessagePolicy":"File"}],"restartPolicy":"Always"}}}}
            """#)
        #expect(try StrategicMergePatch.apply(patch, to: live, kind: "Deployment") == expected)
    }

    @Test func aNewContainerGoesFirstAsThePatchOrderLeadsTheLiveOrder() throws {
        let live = podSpec(#"[{"name":"a","image":"a"},{"name":"b","image":"b"}]"#)
        let patched = try apply(podSpec(#"[{"name":"c","image":"c"}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"c","image":"c"},{"name":"a","image":"a"},{"name":"b","image":"b"}]"#)))
    }

    @Test func patchedElementsKeepThePatchOrderAndServerOnlyOnesInterleaveByLivePosition() throws {
        let live = podSpec(#"[{"name":"1"},{"name":"2","image":"b"},{"name":"3"}]"#)
        let reordered = try apply(podSpec(#"[{"name":"3","image":"c"},{"name":"1","image":"a"},{"name":"2","args":["x"]}]"#), to: live)
        #expect(containers(reordered) == (try json(#"[{"name":"3","image":"c"},{"name":"1","image":"a"},{"name":"2","image":"b","args":["x"]}]"#)))
        let partial = try apply(podSpec(#"[{"name":"3","image":"c"},{"name":"1","image":"a"}]"#), to: live)
        #expect(containers(partial) == (try json(#"[{"name":"2","image":"b"},{"name":"3","image":"c"},{"name":"1","image":"a"}]"#)))
    }

    @Test func envMergesByNameInsideAContainer() throws {
        let live = podSpec(#"[{"name":"c","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]"#)
        let patched = try apply(podSpec(#"[{"name":"c","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"c","env":[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]}]"#)))
    }

    @Test func envEntriesLoseFieldsSetToNull() throws {
        let live = podSpec(#"[{"name":"c","env":[{"name":"A","value":"1","valueFrom":{"fieldRef":{"fieldPath":"x"}}}]}]"#)
        let patched = try apply(podSpec(#"[{"name":"c","env":[{"name":"A","valueFrom":null}]}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"c","env":[{"name":"A","value":"1"}]}]"#)))
    }

    @Test func containerPortsMergeByContainerPortComparingNumbersByValue() throws {
        let live = podSpec(#"[{"name":"c","ports":[{"containerPort":8080,"protocol":"TCP"},{"containerPort":9090}]}]"#)
        let patched = try apply(podSpec(#"[{"name":"c","ports":[{"containerPort":8080.0,"name":"http"}]}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"c","ports":[{"containerPort":8080.0,"protocol":"TCP","name":"http"},{"containerPort":9090}]}]"#)))
    }

    @Test func volumeMountsMergeByMountPathAndVolumesByName() throws {
        let live = try json(#"{"spec":{"volumes":[{"name":"data","emptyDir":{}}],"containers":[{"name":"c","volumeMounts":[{"name":"data","mountPath":"/data"}]}]}}"#)
        let patch = try json(#"{"spec":{"volumes":[{"name":"model","emptyDir":{}}],"containers":[{"name":"c","volumeMounts":[{"name":"data2","mountPath":"/data","readOnly":true}]}]}}"#)
        let patched = try StrategicMergePatch.apply(patch, to: live, kind: "Pod")
        #expect(patched == (try json(#"{"spec":{"volumes":[{"name":"model","emptyDir":{}},{"name":"data","emptyDir":{}}],"containers":[{"name":"c","volumeMounts":[{"name":"data2","mountPath":"/data","readOnly":true}]}]}}"#)))
    }

    @Test func conditionsMergeByType() throws {
        let live = try json(#"{"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True","reason":"NewReplicaSetCreated"}]}}"#)
        let patch = try json(#"{"status":{"observedGeneration":2,"conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"}]}}"#)
        let patched = try StrategicMergePatch.apply(patch, to: live, kind: "Deployment")
        #expect(patched == (try json(#"{"status":{"observedGeneration":2,"conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"},{"type":"Progressing","status":"True","reason":"NewReplicaSetCreated"}]}}"#)))
        let pod = try StrategicMergePatch.apply(
            try json(#"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#),
            to: try json(#"{"status":{"conditions":[{"type":"PodScheduled","status":"True"}]}}"#), kind: "Pod")
        #expect(pod == (try json(#"{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]}}"#)))
    }

    @Test func servicePortsMergeByPort() throws {
        let live = try json(#"{"spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443}]}}"#)
        let patched = try StrategicMergePatch.apply(try json(#"{"spec":{"ports":[{"port":443,"targetPort":8443}]}}"#), to: live, kind: "Service")
        #expect(patched == (try json(#"{"spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443,"targetPort":8443}]}}"#)))
    }

    @Test func ownerReferencesMergeByUIDAndImagePullSecretsByName() throws {
        let live = try json(#"{"metadata":{"ownerReferences":[{"uid":"1","name":"a","kind":"ReplicaSet"}]},"spec":{"imagePullSecrets":[{"name":"x"}]}}"#)
        let patch = try json(#"{"metadata":{"ownerReferences":[{"uid":"1","name":"b"}]},"spec":{"imagePullSecrets":[{"name":"y"}]}}"#)
        let patched = try StrategicMergePatch.apply(patch, to: live, kind: "Pod")
        #expect(patched == (try json(#"{"metadata":{"ownerReferences":[{"uid":"1","name":"b","kind":"ReplicaSet"}]},"spec":{"imagePullSecrets":[{"name":"y"},{"name":"x"}]}}"#)))
    }

    @Test func serviceAccountSecretsMergeByName() throws {
        let patched = try StrategicMergePatch.apply(
            try json(#"{"secrets":[{"name":"b"}]}"#), to: try json(#"{"secrets":[{"name":"a"}]}"#), kind: "ServiceAccount")
        #expect(patched == (try json(#"{"secrets":[{"name":"b"},{"name":"a"}]}"#)))
    }

    // MARK: Lists replaced

    @Test func listsWithoutAMergeStrategyAreReplaced() throws {
        let live = try json(#"{"spec":{"template":{"spec":{"tolerations":[{"key":"a","operator":"Exists"}],"containers":[{"name":"c","args":["x","y"]}]}}}}"#)
        let patch = try json(#"{"spec":{"template":{"spec":{"tolerations":[{"key":"b","operator":"Exists"}],"containers":[{"name":"c","args":["z"]}]}}}}"#)
        let patched = try StrategicMergePatch.apply(patch, to: live, kind: "Deployment")
        #expect(patched == (try json(#"{"spec":{"template":{"spec":{"tolerations":[{"key":"b","operator":"Exists"}],"containers":[{"name":"c","args":["z"]}]}}}}"#)))
    }

    @Test func kindsWithoutPatchMetadataReplaceTheirLists() throws {
        let live = try json(#"{"spec":{"containers":[{"name":"a"}]},"data":{"k":"v"}}"#)
        let patched = try StrategicMergePatch.apply(try json(#"{"spec":{"containers":[{"name":"b"}]}}"#), to: live, kind: "ModelDeployment")
        #expect(patched == (try json(#"{"spec":{"containers":[{"name":"b"}]},"data":{"k":"v"}}"#)))
    }

    // MARK: Maps and null

    @Test func mapsMergeAndNullDeletes() throws {
        let live = try json(#"{"metadata":{"name":"cm","labels":{"a":"1","b":"2"}},"data":{"x":"1","y":"2"}}"#)
        let patched = try StrategicMergePatch.apply(
            try json(#"{"metadata":{"labels":{"b":null,"c":"3"}},"data":{"y":null,"z":"3"},"binaryData":null}"#), to: live, kind: "ConfigMap")
        #expect(patched == (try json(#"{"metadata":{"name":"cm","labels":{"a":"1","c":"3"}},"data":{"x":"1","z":"3"}}"#)))
    }

    @Test func aValueOfAnotherTypeReplacesTheLiveOne() throws {
        let patched = try StrategicMergePatch.apply(try json(#"{"spec":{"x":{"a":1},"y":"s"}}"#),
                                                    to: try json(#"{"spec":{"x":[1],"y":{"b":2}}}"#), kind: "Lease")
        #expect(patched == (try json(#"{"spec":{"x":{"a":1},"y":"s"}}"#)))
    }

    @Test func newValuesAreStoredWithoutDirectivesOrNulls() throws {
        let live = podSpec(#"[{"name":"c"}]"#)
        let patch = try json(#"""
            {"spec":{"template":{"spec":{"initContainers":[{"name":"i","env":[{"name":"A","value":null}],"$setElementOrder/env":[{"name":"A"}]},
              {"name":"gone","$patch":"delete"}],"affinity":{"$patch":"delete"},"nodeSelector":{"disk":"ssd","gpu":null}}}}}
            """#)
        let patched = try StrategicMergePatch.apply(patch, to: try json(live), kind: "Deployment")
        #expect(patched[path: "spec", "template", "spec"] == (try json(#"""
            {"containers":[{"name":"c"}],"initContainers":[{"name":"i","env":[{"name":"A"}]}],"nodeSelector":{"disk":"ssd"}}
            """#)))
    }

    @Test func aNullOrEmptyPatchChangesNothingAndOtherShapesAreRefused() throws {
        let live = try json(#"{"a":1}"#)
        #expect(try StrategicMergePatch.apply(.null, to: live, kind: "Pod") == live)
        #expect(try StrategicMergePatch.apply(.object([:]), to: live, kind: "Pod") == live)
        #expect(throws: PatchError(message: "json: cannot unmarshal array into Go value of type map[string]interface {}")) {
            try StrategicMergePatch.apply(try json("[1]"), to: live, kind: "Pod")
        }
        #expect(throws: PatchError(message: "json: cannot unmarshal string into Go value of type map[string]interface {}")) {
            try StrategicMergePatch.apply(.string("x"), to: live, kind: "Pod")
        }
    }

    // MARK: Finalizers: a set of primitives

    @Test(arguments: [
        (#"["a","b"]"#, #"["c"]"#, #"["c","a","b"]"#),
        (#"["a","b"]"#, #"["b","c"]"#, #"["a","b","c"]"#),
        (#"["a","b"]"#, #"["b","a"]"#, #"["b","a"]"#),
        (#"["a","b","c"]"#, #"["c","a"]"#, #"["b","c","a"]"#),
        (#"["a","a","b"]"#, #"["a"]"#, #"["a","b"]"#),
        (#"[]"#, #"["a"]"#, #"["a"]"#),
        (#"["a"]"#, #"[]"#, #"["a"]"#),
    ])
    func finalizersMergeAsASetUnion(live: String, patch: String, expected: String) throws {
        let patched = try StrategicMergePatch.apply(
            try json(#"{"metadata":{"finalizers":"# + patch + "}}"), to: try json(#"{"metadata":{"finalizers":"# + live + "}}"), kind: "ConfigMap")
        #expect(patched[path: "metadata", "finalizers"] == (try json(expected)))
    }

    @Test func deleteFromPrimitiveListRemovesFinalizers() throws {
        let live = try json(#"{"metadata":{"finalizers":["a","b","c","b"]}}"#)
        let patched = try StrategicMergePatch.apply(try json(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","x"]}}"#), to: live, kind: "Secret")
        #expect(patched == (try json(#"{"metadata":{"finalizers":["a","c"]}}"#)))
        let absent = try StrategicMergePatch.apply(try json(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}}"#),
                                                   to: try json(#"{"metadata":{}}"#), kind: "Secret")
        #expect(absent == (try json(#"{"metadata":{}}"#)))
    }

    /// kubectl apply dropping finalizer `b`: the order directive and the deletion list travel together.
    @Test func setElementOrderWithDeleteFromPrimitiveList() throws {
        let live = try json(#"{"metadata":{"finalizers":["a","b","c"]}}"#)
        let patch = try json(#"{"metadata":{"$setElementOrder/finalizers":["c","a"],"$deleteFromPrimitiveList/finalizers":["b"]}}"#)
        #expect(try StrategicMergePatch.apply(patch, to: live, kind: "Namespace") == (try json(#"{"metadata":{"finalizers":["c","a"]}}"#)))
    }

    // MARK: $patch

    @Test func deleteDirectiveRemovesEveryElementWithThatKey() throws {
        let live = podSpec(#"[{"name":"a"},{"name":"b","env":[{"name":"X"},{"name":"X","value":"2"},{"name":"Y"}]}]"#)
        let patched = try apply(podSpec(#"[{"name":"a","$patch":"delete"},{"name":"b","env":[{"name":"X","$patch":"delete"}]}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"b","env":[{"name":"Y"}]}]"#)))
    }

    @Test func replaceDirectiveInAListTakesThePatchElementsAsSent() throws {
        let live = podSpec(#"[{"name":"a","image":"a"},{"name":"b"}]"#)
        let patched = try apply(podSpec(#"[{"name":"c","image":"c"},{"$patch":"replace"}]"#), to: live)
        #expect(containers(patched) == (try json(#"[{"name":"c","image":"c"}]"#)))
        let emptied = try apply(podSpec(#"[{"$patch":"replace"}]"#), to: live)
        #expect(containers(emptied) == .array([]))
    }

    @Test func replaceDirectiveInAMapTakesTheMapAsSent() throws {
        let live = try json(#"{"spec":{"selector":{"matchLabels":{"app":"a","tier":"t"},"matchExpressions":[{"key":"k","operator":"Exists"}]}}}"#)
        let patched = try apply(#"{"spec":{"selector":{"$patch":"replace","matchLabels":{"app":"x"}}}}"#, to: live.serialized)
        #expect(patched == (try json(#"{"spec":{"selector":{"matchLabels":{"app":"x"}}}}"#)))
    }

    @Test func deleteDirectiveInAMapLeavesItEmpty() throws {
        let live = #"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}}}}"#
        let patched = try apply(#"{"spec":{"strategy":{"rollingUpdate":{"$patch":"delete"}}}}"#, to: live)
        #expect(patched == (try json(#"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{}}}}"#)))
        let absent = try apply(#"{"spec":{"paused":{"$patch":"delete"}}}"#, to: live)
        #expect(absent == (try json(live)))
    }

    // MARK: $setElementOrder

    @Test func setElementOrderReordersExistingElements() throws {
        let live = podSpec(#"[{"name":"a"},{"name":"b"},{"name":"c"}]"#)
        let patched = try apply(#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"},{"name":"b"}]}}}}"#, to: live)
        #expect(containers(patched) == (try json(#"[{"name":"c"},{"name":"a"},{"name":"b"}]"#)))
    }

    /// kubectl apply removing container `b` and adding `c` after `a`.
    @Test func setElementOrderWithAdditionsAndDeletions() throws {
        let live = podSpec(#"[{"name":"a","image":"a"},{"name":"b","image":"b"}]"#)
        let patch = #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"c"}],"containers":[{"name":"c","image":"c"},{"$patch":"delete","name":"b"}]}}}}"#
        #expect(containers(try apply(patch, to: live)) == (try json(#"[{"name":"a","image":"a"},{"name":"c","image":"c"}]"#)))
    }

    @Test func setElementOrderMayNameElementsThePatchLacks() throws {
        let live = try json(#"{"spec":{"template":{"spec":{"containers":[{"name":"1"},{"name":"3"}]}}}}"#)
        let patch = #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"3"},{"name":"2"},{"name":"1"}],"containers":[{"name":"3","image":"x"},{"name":"1","image":"y"}]}}}}"#
        #expect(containers(try apply(patch, to: live.serialized)) == (try json(#"[{"name":"3","image":"x"},{"name":"1","image":"y"}]"#)))
    }

    @Test func setElementOrderOfANewList() throws {
        let patched = try apply(#"{"metadata":{"$setElementOrder/finalizers":["b","a"],"finalizers":["b","a"]}}"#, to: #"{"metadata":{}}"#)
        #expect(patched == (try json(#"{"metadata":{"finalizers":["b","a"]}}"#)))
    }

    @Test func setElementOrderMustAgreeWithThePatchList() throws {
        let live = podSpec(#"[{"name":"1"},{"name":"3"},{"name":"2"}]"#)
        let patch = #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"2"},{"name":"3"}],"containers":[{"name":"3","image":"x"},{"name":"1","image":"y"}]}}}}"#
        #expect(throws: PatchError(message: "the order in patch list:\n[map[image:x name:3] map[image:y name:1]]\n doesn't match $setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]")) {
            try apply(patch, to: live)
        }
    }

    // MARK: $retainKeys

    @Test func retainKeysClearsTheFieldsItDoesNotName() throws {
        let live = #"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}}}"#
        let patched = try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#, to: live)
        #expect(patched == (try json(#"{"spec":{"strategy":{"type":"Recreate"}}}"#)))
        let pod = try StrategicMergePatch.apply(
            try json(#"{"spec":{"volumes":[{"name":"v","$retainKeys":["configMap","name"],"configMap":{"name":"cm"}}]}}"#),
            to: try json(#"{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}"#), kind: "Pod")
        #expect(pod == (try json(#"{"spec":{"volumes":[{"name":"v","configMap":{"name":"cm"}}]}}"#)))
    }

    @Test func retainKeysMustNameEveryFieldThePatchSets() throws {
        let live = #"{"spec":{"strategy":{"type":"RollingUpdate"}}}"#
        #expect(throws: PatchError(message: "invalid patch format of retainKeys")) {
            try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#, to: live)
        }
        #expect(throws: PatchError(message: "invalid patch format of retainKeys")) {
            try apply(#"{"spec":{"strategy":{"$retainKeys":"type"}}}"#, to: live)
        }
    }

    // MARK: Errors with apimachinery's messages

    @Test(arguments: [
        (podSpec(#"[{"image":"httpd"}]"#), "map: map[image:httpd] does not contain declared merge key: name"),
        (podSpec(#"[{"$patch":"delete","image":"x"}]"#), "map: map[$patch:delete image:x] does not contain declared merge key: name"),
        (podSpec(#"[{"$patch":"merge"}]"#), "merging lists cannot yet be specified in the patch"),
        (podSpec(#"[{"$patch":"bogus","name":"a"}]"#), "unknown patch type: bogus in map: map[$patch:bogus name:a]"),
        (#"{"spec":{"template":{"$patch":"bogus","a":1000000}}}"#, "unknown patch type: bogus in map: map[$patch:bogus a:1e+06]"),
        (podSpec(#"[["a"]]"#), "lists of lists are not supported"),
        (#"{"metadata":{"finalizers":[1]}}"#, "list element types are not identical: [[a] [1]]"),
        (#"{"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}}"#, "invalid patch format of primitive list"),
        (#"{"metadata":{"$setElementOrderfinalizers":["a"]}}"#, "invalid patch format of setElementOrder list"),
        (#"{"metadata":{"$setElementOrder/finalizers":"a"}}"#, "expected a []interface {}, but received a string"),
        (#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"image":"x"}]}}}}"#,
         "map: map[image:x] does not contain declared merge key: name"),
    ])
    func malformedPatchesFailWithApimachineryMessages(patch: String, message: String) throws {
        let live = #"{"metadata":{"finalizers":["a"]},"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}"#
        #expect(throws: PatchError(message: message)) { try apply(patch, to: live) }
    }
}
