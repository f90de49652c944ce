"""The real Helm, as a library (helm-sdkpy bundles Helm 4 as a shared object), and the Kubernetes schemas
(kubernetes-validate), for the chart's tests (Tests/SerinCLITests/HelmChartTests.swift). Runs in the .venv that
scripts/install-python.sh makes.

    helm_chart.py lint CHART
        Helm's lint of the chart with its own values. Prints {"errors": [...], "messages": [{"severity": ...}]}, where
        severity is Helm's: 1 info, 2 warning, 3 error; exits 1 when Helm reports errors.
    helm_chart.py install CHART --kubeconfig FILE --namespace NS --release NAME [--values JSON] [--wait] [--timeout S]
                          [--take-ownership]
        `helm install` into the cluster of FILE (the release namespace must exist). Prints {"status": ...,
        "manifest": TEXT, "objects": [...]} with the rendered objects parsed; on failure prints Helm's message on
        standard error and exits 1. helm-sdkpy has no `helm template`: rendering is an install whose manifest the
        tests read, into an emulated cluster.
    helm_chart.py objects
        The YAML stream on standard input (kubectl kustomize's output, say) as a JSON array of objects.
    helm_chart.py validate [--kubernetes-version V]
        Validates each object of the YAML stream on standard input against the Kubernetes OpenAPI schemas bundled
        with kubernetes-validate (strict: unknown fields fail). Prints [{"kind", "name", "result", "errors"}], result
        being valid, invalid or no-schema (custom resources such as ServiceMonitor); exits 1 when one is invalid.
"""

import argparse
import asyncio
import json
import sys

import yaml


def load_objects(text):
    return [document for document in yaml.safe_load_all(text) if document]


def lint(arguments):
    import helm_sdkpy

    configuration = helm_sdkpy.Configuration(namespace="default")
    result = asyncio.run(helm_sdkpy.Lint(configuration).run(arguments.chart))
    # Helm's errors are Go errors, which the library's JSON leaves empty; the severities and paths remain.
    messages = [{"severity": m.get("Severity"), "path": m.get("Path"), "error": m.get("Err")}
                for m in result.get("Messages") or []]
    errors = [str(e) for e in result.get("Errors") or []]
    print(json.dumps({"errors": errors, "messages": messages}))
    return 1 if errors or any((m["severity"] or 0) >= 3 for m in messages) else 0


def install(arguments):
    import helm_sdkpy

    configuration = helm_sdkpy.Configuration(namespace=arguments.namespace, kubeconfig=arguments.kubeconfig)
    values = json.loads(arguments.values) if arguments.values else None
    try:
        result = asyncio.run(helm_sdkpy.Install(configuration).run(
            arguments.release, arguments.chart, values=values, wait=arguments.wait, timeout=arguments.timeout,
            take_ownership=arguments.take_ownership))
    except helm_sdkpy.HelmError as error:
        print(str(error), file=sys.stderr)
        return 1
    manifest = result.get("manifest", "")
    print(json.dumps({"status": (result.get("info") or {}).get("status"), "manifest": manifest,
                      "objects": load_objects(manifest)}))
    return 0


def objects(_arguments):
    print(json.dumps(load_objects(sys.stdin.read())))
    return 0


def validate(arguments):
    import kubernetes_validate

    results = []
    for document in load_objects(sys.stdin.read()):
        entry = {"kind": document.get("kind"), "name": (document.get("metadata") or {}).get("name"), "errors": []}
        try:
            kubernetes_validate.validate(document, arguments.kubernetes_version, strict=True)
            entry["result"] = "valid"
        except kubernetes_validate.SchemaNotFoundError:
            entry["result"] = "no-schema"
        except kubernetes_validate.ValidationError as error:
            entry["result"] = "invalid"
            entry["errors"].append(f"{'/'.join(str(p) for p in error.path)}: {error.message}")
        results.append(entry)
    print(json.dumps(results))
    return 1 if any(r["result"] == "invalid" for r in results) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("lint")
    command.add_argument("chart")
    command.set_defaults(run=lint)
    command = commands.add_parser("install")
    command.add_argument("chart")
    command.add_argument("--kubeconfig", required=True)
    command.add_argument("--namespace", required=True)
    command.add_argument("--release", required=True)
    command.add_argument("--values", help="values as JSON, merged over the chart's values.yaml")
    command.add_argument("--wait", action="store_true", help="wait until every object is ready (Helm's kstatus)")
    command.add_argument("--timeout", type=int, default=120)
    command.add_argument("--take-ownership", action="store_true",
                         help="adopt existing objects the chart renders (helm install --take-ownership)")
    command.set_defaults(run=install)
    command = commands.add_parser("objects")
    command.set_defaults(run=objects)
    command = commands.add_parser("validate")
    command.add_argument("--kubernetes-version", default="1.32.0")
    command.set_defaults(run=validate)
    arguments = parser.parse_args()
    sys.exit(arguments.run(arguments))


if __name__ == "__main__":
    main()
