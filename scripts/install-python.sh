#!/usr/bin/env bash
# Creates .venv/ at the repository root with MLServer and scikit-learn, the CRD validator's jsonschema, cel-python
# and PyYAML, and the chart tests' Helm (helm-sdkpy) and kubernetes-validate, pinned by
# scripts/python/requirements.txt and scripts/python/constraints.txt, for the MLServer end-to-end test, the
# ModelDeployment CRD's tests and the Helm chart's tests. Used by `make test`; safe to run again: it does
# nothing when .venv already holds exactly these pins (a stamp file records the hash of both files and the Python
# version), and brings .venv up to date when they change.
#
# PYTHON picks the interpreter (default python3); MLServer 1.7.1 supports 3.9 to 3.12 and the pinned numpy and pandas
# need 3.11 or later.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$root/.venv
requirements=$root/scripts/python/requirements.txt
constraints=$root/scripts/python/constraints.txt
stamp=$venv/.serin-requirements.sha256
python=${PYTHON:-python3}

has_venv() { command -v "$python" >/dev/null 2>&1 && "$python" -c 'import venv, ensurepip' 2>/dev/null; }
if ! has_venv && [ -z "${PYTHON:-}" ]; then
    bash "$root/scripts/install-dependencies.sh" python
fi
if ! has_venv; then
    echo "The MLServer test needs Python 3.11 or 3.12 with its venv module, and $python is missing or has no venv/ensurepip." >&2
    echo "On Debian: apt-get install python3 python3-venv; or set PYTHON=/path/to/python3.11." >&2
    exit 1
fi
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case $version in
    3.11|3.12) ;;
    *)
        echo "The MLServer test needs Python 3.11 or 3.12 (MLServer 1.7.1 supports up to 3.12; the pinned numpy and pandas need 3.11); $python is $version. Set PYTHON to another interpreter." >&2
        exit 1
        ;;
esac

wanted=$(cat "$requirements" "$constraints" <(echo "python $version") | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -x "$venv/bin/mlserver" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    exit 0
fi

started=$(date +%s)
# A venv made by another Python (or a broken one) is made again; one made by this Python is updated in place.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(0 if "%d.%d" % sys.version_info[:2] == sys.argv[1] else 1)' "$version" 2>/dev/null; then
    echo "Recreating $venv: it was not made by Python $version"
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "Creating $venv with $python ($version)"
    if ! "$python" -m venv "$venv"; then
        echo "python3 -m venv failed: on Debian, install python3-venv (apt-get install python3-venv)." >&2
        exit 1
    fi
fi
rm -f "$stamp"
echo "Installing MLServer, scikit-learn, Helm and the other test tools into $venv (pinned in scripts/python/)"
# --ignore-requires-python: helm-sdkpy (the chart tests' Helm) declares Python 3.12 and works on 3.11; every other
# pin's Python range includes 3.11 and 3.12 anyway.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --prefer-binary --ignore-requires-python \
    --requirement "$requirements" --constraint "$constraints"
# The stamp is written last: an interrupted install is redone on the next run.
echo "$wanted" > "$stamp"
echo "Installed in $(( $(date +%s) - started ))s"
