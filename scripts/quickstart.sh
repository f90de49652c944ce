#!/usr/bin/env bash
# `make run`: Serin on this machine, on a Git repository of its own seeded from examples/quickstart/ (or on
# SERIN_REPO when set), with model servers as local processes behind Serin's router. Ctrl-C stops everything.
set -euo pipefail

root=$(pwd)
state=${SERIN_STATE_DIR:-$root/.serin}
router=${SERIN_ROUTER_LISTEN:-127.0.0.1:8080}
bin=$root/.build/debug
repo=${SERIN_REPO:-}

if [ -z "$repo" ]; then
    repo=$state/quickstart-repo
    if [ ! -d "$repo/.git" ]; then
        # The state directory is for its owner alone, as serin run makes it.
        [ -d "$state" ] || mkdir -p -m 700 "$state"
        mkdir -p "$repo"
        cp -R "$root/examples/quickstart/deployments" "$root/examples/quickstart/models" "$repo/"
        sed -i "s|@MODELS@|$repo/models|" "$repo/deployments/iris.yaml"
        git -C "$repo" init --quiet --initial-branch=main
        git -C "$repo" add --all
        git -C "$repo" -c user.name="Serin quickstart" -c user.email=quickstart@serin.invalid \
            commit --quiet --message "Deploy iris v1"
    fi
fi

# serin-model-server is the quickstart's model server: the deployment's command finds it on PATH.
export PATH="$bin:$PATH"

# The canary to suggest: on the quickstart repository (which keeps its history across runs), the version after the
# one it asks for now; on a repository of the user's own, a general hint.
model=iris key=quickstart/iris
canary="# set a new version in deployments/iris.yaml and commit it: a canary"
if [ -n "${SERIN_REPO:-}" ]; then
    model="<spec.model.name>" key="<namespace>/<name>"
    canary="# commit a new spec.model.version of a ModelDeployment under deployments/: a canary"
else
    current=$(sed -n 's/^ *version: "\([0-9][0-9]*\)".*/\1/p' "$repo/deployments/iris.yaml" 2>/dev/null | head -n 1 || true)
    if [ -n "$current" ]; then
        next=$((current + 1))
        canary="sed -i 's/version: \"$current\"/version: \"$next\"/' deployments/iris.yaml && git commit -qam \"iris v$next\"   # a canary"
    fi
fi

cat <<TEXT

  Serin is starting on this machine.
    repository  $repo  (branch main, deployments/)
    router      http://$router
    state       $state  (model servers' logs are under models/)

  Try, in another terminal:
    curl -s http://$router/v2/models/$model/infer -H 'Content-Type: application/json' \\
      -d '{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}'
    cd $repo
    $canary
    git log --oneline serin/status   # the ledger
    $bin/serin status --repo $repo   # where each model stands
    $bin/serin history $key --repo $repo
  A request every 0.1 s goes through the router meanwhile, so canaries have traffic to judge.
  Ctrl-C stops Serin and every model server.

TEXT

# Background traffic for the gates, stopped with everything else.
(
    while sleep 0.1; do
        curl -s -o /dev/null --max-time 2 "http://$router/v2/models/iris/infer" -H 'Content-Type: application/json' \
            -d '{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}' || true
    done
) &
traffic=$!
trap 'kill $traffic 2>/dev/null || true' EXIT

"$bin/serin" run --runtime local --repo "$repo" --state-dir "$state" --router-listen "$router" || status=$?
exit "${status:-0}"
