#!/usr/bin/env bash
# Install the Debian packages vkserve needs to build, test and run, when they are missing.
# Safe to run again: it installs only what is absent.
set -euo pipefail

packages=(
    python3 python3-pip   # model fetch (PyPI wheels)
    ca-certificates
    glslc                 # GLSL → SPIR-V at build time (Shaders/)
    libvulkan-dev         # Vulkan headers (the loader is opened at run time)
    libvulkan1            # the Vulkan loader
    libsystemd-dev        # sd_journal_sendv: vkserved logs structured entries to journald
    systemd               # systemd-journald and journalctl for the end-to-end tests (a private journald)
    util-linux            # unshare, nsenter, setpriv for those tests
    procps                # /bin/kill: vkserve.service's ExecReload (and the systemd end-to-end test)
    mesa-vulkan-drivers   # lavapipe: a real Vulkan driver on the CPU, for tests and CI
    prometheus            # promtool: the tests check the /metrics exposition with `promtool check metrics`
    curl                  # scripts/tests/10-monitoring.sh talks to vkserved and Prometheus over HTTP
    nginx                 # the load balancer of units/nginx/vkserve.conf, run by scripts/tests/30-scaleout.sh
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# pip may come from a Python outside Debian's packages; that is fine too.
if printf '%s\n' "${missing[@]}" | grep -qx python3-pip && python3 -m pip --version >/dev/null 2>&1; then
    missing=("${missing[@]/python3-pip/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all packages present"
fi
command -v swift >/dev/null || { echo "install-deps: a Swift 6 toolchain is required on PATH (swift.org)" >&2; exit 1; }
# The real OpenAI client, for the HTTP API's end-to-end tests (Tests/clients/*.py).
if ! python3 -c 'import openai' 2>/dev/null; then
    echo "install-deps: installing the openai Python package"
    python3 -m pip install --quiet 'openai==3.57.0' 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'openai==3.57.0'
fi
