#!/usr/bin/env bash
# The test command: fetch the models and llama.cpp's tokenizer test vectors if absent, build and run every Swift test in release mode (the
# engine's numeric code is many times slower in a debug build), then the end-to-end scripts in
# scripts/tests/ (real systemd, nginx, promtool), which run against the release binaries.
# Arguments go to `swift test` (e.g. --filter); VKSERVE_SKIP_SCRIPT_TESTS=1 skips the scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-models.sh >/dev/null
scripts/fetch-test-data.sh >/dev/null
# `swift test -c release` builds every target, the executables included, into .build/release (compiled for
# testing), and the script tests run those. A `swift build -c release` before it would compile the whole
# package a second time with other flags, for nothing: about 7 minutes on 2 cores.
swift test -c release "$@"
if [[ "${VKSERVE_SKIP_SCRIPT_TESTS:-0}" != 1 ]]; then
    failed=()
    for t in scripts/tests/*.sh; do
        [[ -e "$t" ]] || continue
        echo "== $t"
        start=$(date +%s)
        if "$t"; then
            echo "== $t passed in $(( $(date +%s) - start )) s"
        else
            echo "== $t FAILED after $(( $(date +%s) - start )) s"
            failed+=("$t")
        fi
    done
    if (( ${#failed[@]} )); then
        echo "script tests failed: ${failed[*]}" >&2
        exit 1
    fi
fi
