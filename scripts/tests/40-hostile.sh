#!/usr/bin/env bash
# Hostile clients against a release vkserved (scripts/tests/hostile/hostile.py): idle-connection floods under
# a descriptor limit, slowloris headers and bodies, idle keep-alive connections, clients hanging up on
# streamed, non-streamed and queued requests, long requests under `supervisorctl restart`, a 5 MB prompt,
# long stop strings, a SIGSTOPped worker, a second instance on the same control socket, fast 503s with no
# worker, request deadlines, a streamed request's error status before its 200, and the descriptors of a
# respawned worker. Each scenario starts its own vkserved (one CPU worker) with the configuration it needs,
# has its own time limit and prints what it measured; `hostile.py --list` describes them all.
#
# Only the scenarios in ENABLED run here (the behaviour each checks lands in vkserved one change at a time);
# `hostile.py --only NAME` runs any one of them alone. VKSERVE_HOSTILE_ONLY=a,b overrides ENABLED;
# VKSERVE_HOSTILE_KEEP=1 keeps each scenario's temporary directory and vkserved.log.
set -euo pipefail
cd "$(dirname "$0")/../.."

ENABLED=(
    flood
    slow_headers
    slow_body
    idle_keepalive
    disconnect_nonstreamed
    disconnect_streamed
    disconnect_queued
    restart_nonstreamed_drain
    restart_streamed_drain
    restart_nonstreamed_mbb
    restart_streamed_mbb
    oversized_prompt
    long_stop_strings
    frozen_worker
    second_instance
    no_worker_fast_503
    deadline_504
    streamed_status_before_200
    worker_fds
)

fail() { echo "40-hostile: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
for file in .build/release/vkserved .build/release/vkserve-worker .build/release/supervisorctl \
    models/SmolLM2-135M-Instruct.Q4_1.gguf; do
    [[ -e $file ]] || fail "missing $file (swift build -c release; scripts/fetch-models.sh)"
done
for tool in python3 setpriv prlimit; do
    command -v $tool >/dev/null || fail "$tool not found (scripts/install-deps.sh installs it)"
done

only=${VKSERVE_HOSTILE_ONLY:-$(IFS=,; echo "${ENABLED[*]}")}
[[ -n $only ]] || { echo "40-hostile: no scenario enabled"; echo "0 passed, 0 failed, 0 skipped"; exit 0; }
args=(--only "$only")
[[ ${VKSERVE_HOSTILE_KEEP:-0} == 1 ]] && args+=(--keep)

# hostile.py stops every vkserved it started (and they die with it: setpriv --pdeathsig); the trap covers an
# interrupted run, and timeout bounds the whole of it.
child=
trap '[[ -n $child ]] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null || true' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
timeout --signal=TERM --kill-after=30 1200 python3 scripts/tests/hostile/hostile.py "${args[@]}" &
child=$!
status=0
wait "$child" || status=$?
child=
exit "$status"
