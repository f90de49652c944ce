"""Validates ModelDeployment documents against the CRD in manifests/crd/ the way kube-apiserver would on
`kubectl apply --validate=strict` (kubectl's default): YAML read as kubectl reads it, the object routed by apiVersion
and kind, unknown fields refused (fieldValidation=Strict), the OpenAPI v3 schema checked (jsonschema, draft 4 as
OpenAPI 3.0 uses it), list-type map and set keys kept unique, and every x-kubernetes-validations CEL rule evaluated
(cel-python, with Kubernetes' isSorted() from its list library).

Usage:
  python validate_modeldeployments.py CRD.yaml < documents.json   # {"name": "yaml text", ...} -> {"name": [errors]}
  python validate_modeldeployments.py CRD.yaml --defaults          # {"spec.replicas": "1", ...}
A document is valid when its list of errors is empty.
"""
import json
import sys

import celpy
import jsonschema
import yaml
from celpy import celtypes


class KubectlLoader(yaml.SafeLoader):
    """YAML as kubectl's parser (go-yaml v2 through sigs.k8s.io/yaml) reads it: YAML 1.1 scalars, except that a
    timestamp stays a string, and a key given twice is an error."""

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)  # merge keys (<<), which go-yaml expands too
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"mapping key {key!r} already defined",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


KubectlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
KubectlLoader.add_constructor("tag:yaml.org,2002:map", KubectlLoader.construct_mapping)


def is_sorted(values):
    items = list(values)
    return celtypes.BoolType(all(items[i] <= items[i + 1] for i in range(len(items) - 1)))


CEL = celpy.Environment()
CEL_FUNCTIONS = {"isSorted": is_sorted}


def to_cel(value, schema):
    """A JSON value as CEL sees it under its schema: `type: number` is always a double."""
    schema = schema or {}
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else {}
        return celtypes.MapType({celtypes.StringType(k): to_cel(v, properties.get(k, extra)) for k, v in value.items()})
    if isinstance(value, list):
        return celtypes.ListType([to_cel(v, schema.get("items", {})) for v in value])
    if schema.get("type") == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return celtypes.DoubleType(float(value))
    return celpy.json_to_cel(value)


def strict(schema):
    """The schema with unknown fields refused, as fieldValidation=Strict does (structural schemas may not say
    additionalProperties: false themselves). metadata is ObjectMeta, which the API server checks on its own."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: (v if k == "properties" and "metadata" in v and "spec" in v else strict(v)) for k, v in schema.items()}
    if "metadata" in schema.get("properties", {}) and "spec" in schema.get("properties", {}):
        result["properties"] = {k: (v if k == "metadata" else strict(v)) for k, v in schema["properties"].items()}
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        result["additionalProperties"] = False
    return result


def walk(value, schema, path, errors):
    """List-type uniqueness and CEL rules, depth first."""
    if not isinstance(schema, dict):
        return
    list_type = schema.get("x-kubernetes-list-type")
    if isinstance(value, list):
        if list_type == "set":
            seen = []
            for item in value:
                if item in seen:
                    errors.append(f"{path}: duplicate value {json.dumps(item)}")
                seen.append(item)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys", [])
            seen = []
            for item in value:
                key = tuple(item.get(k) for k in keys) if isinstance(item, dict) else None
                if key in seen:
                    errors.append(f"{path}: duplicate entry with {dict(zip(keys, key))}")
                seen.append(key)
        for index, item in enumerate(value):
            walk(item, schema.get("items"), f"{path}[{index}]", errors)
    if isinstance(value, dict):
        for key, item in value.items():
            walk(item, schema.get("properties", {}).get(key), f"{path}.{key}" if path else key, errors)
    for rule in schema.get("x-kubernetes-validations", []):
        try:
            program = CEL.program(CEL.compile(rule["rule"]), functions=CEL_FUNCTIONS)
            passed = bool(program.evaluate({"self": to_cel(value, schema)}))
        except Exception as error:  # a rule that cannot be evaluated fails, as on the API server
            errors.append(f"{path}: rule {rule['rule']!r} could not be evaluated: {error}")
            continue
        if not passed:
            errors.append(f"{path}: {rule.get('message', rule['rule'])}")


def validate(text, crd):
    try:
        documents = [d for d in yaml.load_all(text, Loader=KubectlLoader) if d is not None]
    except yaml.YAMLError as error:
        return [f"YAML: {error}".replace("\n", " ")]
    if len(documents) != 1 or not isinstance(documents[0], dict):
        return ["not one object: kubectl needs a mapping with apiVersion and kind"]
    document = documents[0]
    spec = crd["spec"]
    versions = {f"{spec['group']}/{v['name']}": v for v in spec["versions"] if v.get("served")}
    if document.get("apiVersion") not in versions or document.get("kind") != spec["names"]["kind"]:
        return [f"no matches for kind {document.get('kind')!r} in version {document.get('apiVersion')!r}"]
    if not isinstance(document.get("metadata"), dict) or not document["metadata"].get("name"):
        return ["metadata.name: Required value"]
    schema = versions[document["apiVersion"]]["schema"]["openAPIV3Schema"]
    errors = []
    for error in jsonschema.Draft4Validator(strict(schema)).iter_errors(document):
        errors.append(f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}")
    walk(document, schema, "", errors)
    return errors


def defaults(schema, path=""):
    found = {}
    if "default" in schema:
        found[path] = schema["default"]
    for key, child in schema.get("properties", {}).items():
        found.update(defaults(child, f"{path}.{key}" if path else key))
    if isinstance(schema.get("items"), dict):
        found.update(defaults(schema["items"], f"{path}[]"))
    return found


def main():
    with open(sys.argv[1]) as file:
        crd = yaml.safe_load(file)
    if sys.argv[2:] == ["--defaults"]:
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        # Strings as they are, anything else as JSON text (1, true, 0.99): the test compares text.
        found = {path: value if isinstance(value, str) else json.dumps(value) for path, value in defaults(schema).items()}
        json.dump(found, sys.stdout, sort_keys=True)
        return
    documents = json.load(sys.stdin)
    json.dump({name: validate(text, crd) for name, text in documents.items()}, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
