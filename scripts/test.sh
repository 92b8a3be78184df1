#!/usr/bin/env bash
# The test command: fetch the models if absent, then build and run every test in release mode
# (the engine's numeric code is many times slower in a debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-models.sh >/dev/null
swift build -c release
swift test -c release "$@"
