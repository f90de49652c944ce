#!/usr/bin/env bash
# Installs what building and testing Serin needs on Debian 12, and nothing when it is already there.
# Used by `make run` and `make test` (and, with the argument `benchmark`, by `make benchmark`; with `python`, by
# scripts/install-python.sh when Python or its venv module is missing); safe to run again.
set -euo pipefail

# git, lighttpd and openssh-server/-client run the loopback Git servers of the SerinGit tests; openssl makes the tests'
# throwaway CAs, and the curl CLI multiplexes HTTP/2 streams against the emulator (KubeEmulatorTests); prometheus (the
# server, /usr/bin/prometheus) answers the metric gates' queries in the SerinGates tests; systemd's systemd-analyze
# checks the service unit, with no need for systemd to be running, and strace lists the system calls Serin makes, to
# hold them to the unit's filter (SerinCLITests).
packages=(pkg-config libgit2-dev libcurl4-openssl-dev libyaml-dev git lighttpd lighttpd-mod-openssl openssl openssh-server openssh-client curl prometheus systemd strace)
# nginx is the reference the router benchmark compares with; only `make benchmark` needs it.
if [ "${1:-}" = "benchmark" ]; then
    packages+=(nginx)
fi
# Python with venv (and ensurepip) makes .venv for the MLServer end-to-end test; scripts/install-python.sh asks for it.
if [ "${1:-}" = "python" ]; then
    packages=(python3 python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

# kubectl holds the Kubernetes API emulator honest (KubeEmulatorTests); Debian's kubernetes-client is the fallback.
if ! command -v kubectl >/dev/null 2>&1; then
    missing+=(kubernetes-client)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Serin needs these packages, and this system has no apt-get to install them: ${missing[*]}" >&2
    echo "Install their equivalents (libgit2, libcurl with OpenSSL, libyaml, pkg-config, git, lighttpd, OpenSSH server and client, Prometheus, curl, systemd, strace; nginx for benchmarks) and run again." >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "Installing ${missing[*]} needs root: run as root or install sudo." >&2
        exit 1
    fi
fi

echo "Installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
