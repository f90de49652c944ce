import Foundation
import Logging
import SerinCore

/// Answers one API request: authentication, injected faults, discovery, and the resource verbs over the store.
struct APIHandler: Sendable {
    let store: ObjectStore
    let control: EmulatorControl
    let port: Int
    let bookmarkInterval: Duration
    let logger: Logger

    func handle(_ request: EmulatorRequest) async -> EmulatorResponse {
        let path = APIPath(request.path)
        let caller = await control.caller(request.headers["authorization"])
        if path != .health, caller == .unauthenticated { return .error(.unauthorized) }
        let faults = await control.faults
        if faults.latency > .zero { try? await Task.sleep(for: faults.latency) }
        if faults.internalErrorShare > 0, Double.random(in: 0..<1) < faults.internalErrorShare {
            return .error(.internalError("injected fault"))
        }
        if faults.tooManyRequestsShare > 0, Double.random(in: 0..<1) < faults.tooManyRequestsShare {
            return .error(.tooManyRequests(retryAfter: faults.retryAfterSeconds))
        }
        switch path {
        case .health: return .text(status: 200, body: "ok")
        case .version: return .json(status: 200, body: Discovery.version)
        case .coreVersions: return .json(status: 200, body: Discovery.coreVersions(port: port))
        case .groups: return .json(status: 200, body: Discovery.groupList(await store.allTypes()))
        case .group(let group):
            guard let body = Discovery.group(group, await store.allTypes()) else { return .pageNotFound }
            return .json(status: 200, body: body)
        case .groupVersion(let group, let version):
            guard let body = Discovery.resourceList(group: group, version: version, await store.allTypes()) else {
                return .pageNotFound
            }
            return .json(status: 200, body: body)
        case .resource(let group, let version, let segments):
            guard let address = await resolve(group: group, version: version, segments: segments) else {
                return .pageNotFound
            }
            if case .unprivileged(let user) = caller {
                return .error(.forbidden(address, verb: Self.verb(of: request, at: address), user: user))
            }
            do {
                return try await serve(request, at: address, watchFaults: faults)
            } catch {
                return .error(error)
            }
        case .openAPIRoot:
            return .json(status: 200, body: OpenAPIDocuments.root(await store.allTypes()))
        case .openAPIGroupVersion(let group, let version):
            guard let body = OpenAPIDocuments.groupVersion(group: group, version: version, await store.allTypes()) else {
                return .pageNotFound
            }
            return .json(status: 200, body: body)
        case .unknown:
            return .pageNotFound
        }
    }

    private func resolve(group: String, version: String, segments: [String]) async -> ResourceAddress? {
        var namespace: String?
        var rest = segments
        if segments.count >= 3, segments[0] == "namespaces",
           let type = await store.type(group: group, version: version, plural: segments[2]), type.namespaced
        {
            namespace = segments[1]
            rest = Array(segments.dropFirst(2))
        }
        guard rest.count <= 3, let plural = rest.first,
              let type = await store.type(group: group, version: version, plural: plural)
        else { return nil }
        let name = rest.count > 1 ? rest[1] : nil
        if type.namespaced && namespace == nil && name != nil { return nil }
        var subresource = Subresource.main
        if rest.count == 3 {
            switch rest[2] {
            case "status" where type.hasStatusSubresource: subresource = .status
            case "scale" where type.hasScaleSubresource: subresource = .scale
            default: return nil
            }
        }
        return ResourceAddress(type: type, namespace: namespace, name: name, subresource: subresource)
    }

    private func serve(_ request: EmulatorRequest, at address: ResourceAddress, watchFaults faults: EmulatorFaults)
        async throws(APIStatusError) -> EmulatorResponse
    {
        let type = address.type
        let dryRun = request.query["dryRun"] == "All"
        guard let name = address.name else {
            switch request.method {
            case "GET":
                let list = try listRequest(request, address: address)
                if let watch = request.query["watch"], watch == "1" || watch == "true" {
                    return .watch(await watchStream(list, faults: faults))
                }
                return .json(status: 200, body: try await store.list(list))
            case "POST":
                guard type.namespaced == (address.namespace != nil) else { throw .methodNotAllowed(request.method) }
                let object = try await store.create(type, namespace: address.namespace, body: try body(of: request),
                                                    dryRun: dryRun)
                return .json(status: 201, body: object)
            case "DELETE":
                let list = try listRequest(request, address: address)
                let options = try deleteOptions(request)
                let current = try await store.list(list)
                var deleted: [JSONValue] = []
                for item in current["items"]?.arrayValue ?? [] {
                    guard let itemName = ObjectMetadata.name(of: item) else { continue }
                    let namespace = item[path: "metadata", "namespace"]?.stringValue
                    if (try? await store.delete(type, namespace: namespace, name: itemName, options: options)) != nil {
                        deleted.append(item)
                    }
                }
                var answer = current
                answer["items"] = .array(deleted)
                return .json(status: 200, body: answer)
            default:
                throw .methodNotAllowed(request.method)
            }
        }
        let namespace = address.namespace
        switch (request.method, address.subresource) {
        case ("GET", .scale):
            return .json(status: 200, body: try await store.scale(type, namespace: namespace, name: name))
        case ("GET", _):
            return .json(status: 200, body: try await store.get(type, namespace: namespace, name: name))
        case ("PUT", .scale):
            return .json(status: 200, body: try await store.updateScale(
                type, namespace: namespace, name: name, patchType: nil, body: try body(of: request), dryRun: dryRun))
        case ("PUT", let subresource):
            return .json(status: 200, body: try await store.update(
                type, namespace: namespace, name: name, body: try body(of: request), subresource: subresource,
                dryRun: dryRun))
        case ("PATCH", let subresource):
            guard let patchType = PatchType(contentType: request.contentType) else {
                throw .unsupportedMediaType("415: Unsupported Media Type", details: [:])
            }
            if patchType == .strategicMergePatch && type.isCustom { throw ObjectStore.unsupportedForCustomResources }
            let patch = try body(of: request)
            if subresource == .scale {
                return .json(status: 200, body: try await store.updateScale(
                    type, namespace: namespace, name: name, patchType: patchType, body: patch, dryRun: dryRun))
            }
            return .json(status: 200, body: try await store.patch(
                type, namespace: namespace, name: name, patchType: patchType, patch: patch, subresource: subresource,
                dryRun: dryRun))
        case ("DELETE", .main):
            let answer = try await store.delete(type, namespace: namespace, name: name,
                                                options: try deleteOptions(request))
            return .json(status: 200, body: answer)
        default:
            throw .methodNotAllowed(request.method)
        }
    }

    /// The RBAC verb of a request.
    static func verb(of request: EmulatorRequest, at address: ResourceAddress) -> String {
        switch request.method {
        case "GET" where address.name == nil:
            let watch = request.query["watch"]
            return watch == "1" || watch == "true" ? "watch" : "list"
        case "GET": return "get"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return address.name == nil ? "deletecollection" : "delete"
        default: return request.method.lowercased()
        }
    }

    private func body(of request: EmulatorRequest) throws(APIStatusError) -> JSONValue {
        guard !request.body.isEmpty else { throw .badRequest("the body of the request was empty") }
        let mediaType = request.contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        if mediaType == "application/vnd.kubernetes.protobuf" {
            guard let object = ProtobufObjects.decode(request.body) else {
                throw .unsupportedMediaType(
                    "the emulator reads protobuf only for Namespace, ConfigMap, Secret, ServiceAccount, Service and "
                        + "Deployment; send application/json")
            }
            return object
        }
        if request.method != "PATCH", let mediaType, mediaType != "application/json" {
            throw .unsupportedMediaType(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
        do {
            return try JSONValue(parsing: request.body)
        } catch {
            throw .badRequest("couldn't get version/kind; json parse error: \(error.description)")
        }
    }

    private func listRequest(_ request: EmulatorRequest, address: ResourceAddress) throws(APIStatusError) -> ListRequest {
        var filter = WatchFilter(type: address.type, namespace: address.namespace)
        if let text = request.query["labelSelector"], !text.isEmpty {
            do { filter.labelSelector = try LabelSelector(parsing: text) } catch { throw .badRequest(error.message) }
        }
        if let text = request.query["fieldSelector"], !text.isEmpty {
            let selector: FieldSelector
            do { selector = try FieldSelector(parsing: text) } catch { throw .badRequest(error.message) }
            let supported = address.type.selectableFields
            if let unsupported = selector.fieldNames.first(where: { !supported.contains($0) }) {
                throw .badRequest("\"\(unsupported)\" is not a known field selector: only "
                                  + supported.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            filter.fieldSelector = selector
        }
        var list = ListRequest(filter: filter)
        list.limit = request.query["limit"].flatMap { Int($0) }
        list.continueToken = request.query["continue"]
        list.resourceVersion = request.query["resourceVersion"]
        list.allowWatchBookmarks = request.query["allowWatchBookmarks"] == "true" || request.query["allowWatchBookmarks"] == "1"
        list.timeoutSeconds = request.query["timeoutSeconds"].flatMap { Int($0) }
        list.sendInitialEvents = request.query["sendInitialEvents"] == "true"
        if list.sendInitialEvents {
            let isWatch = request.query["watch"] == "1" || request.query["watch"] == "true"
            guard isWatch, list.allowWatchBookmarks else {
                throw .invalid(address.type, name: "", causes: [.init(
                    reason: "FieldValueForbidden", field: "sendInitialEvents",
                    message: "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and allowWatchBookmarks is set")])
            }
        }
        return list
    }

    private func watchStream(_ list: ListRequest, faults: EmulatorFaults) async -> WatchStream {
        let forceExpired = faults.forceWatchExpired && !(list.resourceVersion ?? "").isEmpty && list.resourceVersion != "0"
        let (id, events) = await store.watch(list, forceExpired: forceExpired)
        var timeout: Duration = .seconds(list.timeoutSeconds.map { max(0, $0) } ?? 1800)
        if let drop = faults.dropWatchesAfter, drop < timeout { timeout = drop }
        let store = self.store
        let bookmark = list.allowWatchBookmarks
        return WatchStream(events: events, timeout: timeout, maximumEvents: faults.dropWatchesAfterEvents,
                           finish: { await store.finishWatch(id, bookmark: bookmark) },
                           bookmarkInterval: bookmark ? bookmarkInterval : nil,
                           sendBookmark: { await store.sendBookmark(id) },
                           abandon: { await store.finishWatch(id, bookmark: false) })
    }

    private func deleteOptions(_ request: EmulatorRequest) throws(APIStatusError) -> DeleteOptions {
        var options = DeleteOptions()
        options.dryRun = request.query["dryRun"] == "All"
        if let policy = request.query["propagationPolicy"] { options.propagationPolicy = policy }
        if !request.body.isEmpty {
            let body = try self.body(of: request)
            if let policy = body["propagationPolicy"]?.stringValue { options.propagationPolicy = policy }
            if body["orphanDependents"]?.boolValue == true { options.propagationPolicy = "Orphan" }
            options.preconditionUID = body[path: "preconditions", "uid"]?.stringValue
            options.preconditionResourceVersion = body[path: "preconditions", "resourceVersion"]?.stringValue
            if body["dryRun"]?.arrayValue?.contains("All") == true { options.dryRun = true }
        }
        guard ["Background", "Foreground", "Orphan"].contains(options.propagationPolicy) else {
            throw .badRequest("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"\(options.propagationPolicy)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
        }
        return options
    }
}
