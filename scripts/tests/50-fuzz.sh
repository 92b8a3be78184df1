#!/usr/bin/env bash
# HTTP fuzzing of a live vkserved (issue requirement): at least 10,000 requests built by mutating valid
# /v1/completions and /v1/chat/completions requests — wrong field types and values, huge numbers, truncation,
# random bytes, invalid UTF-8, deep nesting, duplicate keys, huge strings, wrong methods, paths and
# Content-Types — plus malformed HTTP over a plain socket (bad request lines, huge headers, a header without
# a colon, bad chunk sizes, Content-Length lies). Passes when no answer is outside 200/4xx/503/504, no
# well-formed request is dropped or left unanswered, every 200 is valid JSON or SSE, neither vkserved nor its
# worker exits, and afterwards /health is 200 and a normal completion returns text (scripts/tests/fuzz/fuzz.py).
#
# One CPU worker with small limits (max_tokens 4, request_timeout 5s, context 512) so valid generations stay short.
# Environment: VKSERVE_FUZZ_SEED (default random, printed), VKSERVE_FUZZ_COUNT (default 10000),
# VKSERVE_FUZZ_THREADS (default 8), VKSERVE_FUZZ_KEEP=1 keeps the temporary directory (vkserved.log,
# fuzz-failures.log). On failure the failing requests are copied to /tmp/vkserve-fuzz-failures-SEED.log.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=.build/release
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
seed=${VKSERVE_FUZZ_SEED:-$(python3 -c 'import random; print(random.SystemRandom().randrange(2**32))')}
count=${VKSERVE_FUZZ_COUNT:-10000}
threads=${VKSERVE_FUZZ_THREADS:-8}

say() { echo "50-fuzz: $*"; }
fail() { echo "50-fuzz: FAIL: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
for file in $bin/vkserved $bin/vkserve-worker $model scripts/tests/fuzz/fuzz.py; do
    [[ -e $file ]] || fail "missing $file (swift build -c release; scripts/fetch-models.sh)"
done
command -v setpriv >/dev/null || fail "setpriv not found (util-linux)"

work=$(mktemp -d /tmp/vkserve-fuzz.XXXXXX)
run=$work/run
mkdir -m 0755 "$run"   # the private runtime directory: worker sockets and the control socket
vkserved_pid=
stop() {  # PID: SIGTERM, then SIGKILL after 10 s
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local code=$?
    stop "$vkserved_pid"
    if [[ ${VKSERVE_FUZZ_KEEP:-0} == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
    exit "$code"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# setpriv --pdeathsig: vkserved (and with it its worker) dies with this script even when it is killed outright.
setpriv --pdeathsig KILL $bin/vkserved --config /dev/null --runtime-dir "$run" --control-socket "$run/control.sock" \
    --listen "127.0.0.1:$port" --model $model --set workers.vulkan=0 --set workers.cpu=1 --set workers.threads=${VKSERVE_FUZZ_WORKER_THREADS:-1} \
    --set limits.max_tokens=4 --set limits.default_max_tokens=4 --set limits.request_timeout=5s --set model.context=512 \
    --set restart.every=0 --set restart.drain_timeout=2s --log stderr >"$work/vkserved.log" 2>&1 &
vkserved_pid=$!
ready=
for _ in $(seq 600); do
    kill -0 $vkserved_pid 2>/dev/null || { tail -30 "$work/vkserved.log" >&2; fail "vkserved exited at start"; }
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$port/ready" || true) == 200 ]]; then ready=1; break; fi
    sleep 0.1
done
[[ -n $ready ]] || { tail -30 "$work/vkserved.log" >&2; fail "vkserved not ready within 60 s"; }
say "vkserved pid $vkserved_pid on 127.0.0.1:$port; seed $seed, $count requests, $threads threads"

start=$(date +%s)
status=0
timeout --kill-after=20 600 python3 scripts/tests/fuzz/fuzz.py --base-url "http://127.0.0.1:$port" --pid "$vkserved_pid" --seed "$seed" \
    --count "$count" --threads "$threads" --log "$work/fuzz-failures.log" | tee "$work/fuzz.out" \
    || status=$?
say "fuzz run took $(( $(date +%s) - start )) s"
summary=$(tail -1 "$work/fuzz.out")
[[ $summary =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]] || summary="0 passed, 1 failed"
if ! kill -0 "$vkserved_pid" 2>/dev/null; then
    echo "50-fuzz: vkserved exited; the end of its log:" >&2
    tail -40 "$work/vkserved.log" >&2
    status=1
fi
if (( status != 0 )); then
    cp "$work/fuzz-failures.log" "/tmp/vkserve-fuzz-failures-$seed.log" 2>/dev/null \
        && say "failing requests: /tmp/vkserve-fuzz-failures-$seed.log"
    cp "$work/vkserved.log" "/tmp/vkserve-fuzz-vkserved-$seed.log" 2>/dev/null \
        && say "vkserved's log: /tmp/vkserve-fuzz-vkserved-$seed.log"
    grep -iE 'fatal|crash|panic|exited|signal' "$work/vkserved.log" | tail -10 >&2 || true
    if [[ $summary == *" 0 failed"* ]]; then summary=${summary/ 0 failed/ 1 failed}; fi
fi
echo "$summary"
exit "$status"
