#!/usr/bin/env bash
# vkserve beside its peer, llama.cpp 0c1e57098 (built from the llama-cpp-python 0.3.36 sdist on
# PyPI, cached), in one run with alternating rounds, on this machine's CPU:
#   - single stream: llama-bench pp64/tg64 against `vkserve bench single` (64 prompt, 64 decode tokens);
#   - through the server: llama-server (12 slots) against vkserved, each under `vkserve bench load`
#     (12 clients, 128 tokens, ignore_eos, temperature 1).
# Writes DIR/report.md and DIR/report.svg (medians and spreads) and every round's raw JSON.
#
#   scripts/bench-compare.sh [--isa native|avx2] [--rounds N] [--load-rounds N] [--load-requests N]
#                            [--models "A.gguf B.gguf"] [--out DIR] [--threads N]
#
# --isa avx2 measures an AVX2 machine on a CPU with AVX-512: llama.cpp built for AVX2 only, vkserve
# run with CK_DISABLE=avx512. Needs a release build (swift build -c release) and the models
# (scripts/fetch-models.sh). Takes about 15 minutes, plus the peer's first build (about 17).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
isa=native rounds=3 load_rounds=2 load_requests=48 threads=2
models="SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf"
out="${TMPDIR:-/tmp}/vkserve-compare-$(date +%Y%m%d-%H%M%S)"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --isa) isa=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --load-rounds) load_rounds=$2; shift 2 ;;
        --load-requests) load_requests=$2; shift 2 ;;
        --models) models=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
bin="$root/.build/release"
for b in vkserve vkserved vkserve-worker; do
    [[ -x "$bin/$b" ]] || { echo "bench-compare: $bin/$b is missing; run swift build -c release" >&2; exit 2; }
done
peer=$("$here/compare/build-peer.sh" --isa "$isa" | tail -1)
mkdir -p "$out"
vk_env=()
if [[ "$isa" == avx2 ]]; then vk_env=(env CK_DISABLE=avx512); fi
lscpu > "$out/lscpu.txt"
echo "bench-compare: results in $out (CPU: $(grep -m1 'Model name' "$out/lscpu.txt" | sed 's/.*: *//'), isa $isa)" >&2

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_http() {   # url seconds
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        (( SECONDS < deadline )) || return 1
        sleep 0.5
    done
}

# ---- single stream ---------------------------------------------------------------------------
for r in $(seq 1 "$rounds"); do
    for m in $models; do
        model="$root/models/$m"
        [[ -s "$model" ]] || { echo "bench-compare: $model is missing (scripts/fetch-models.sh)" >&2; exit 2; }
        peer_single() {
            "$peer/llama-bench" -m "$model" -p 64 -n 64 -t "$threads" -r 1 -o json > "$out/single-$m-llama-r$r.json" 2>/dev/null
        }
        vk_single() {
            "${vk_env[@]}" "$bin/vkserve" bench single --backend cpu --threads "$threads" --model "$model" \
                --prompt-tokens 64 --decode-tokens 64 --repetitions 1 --json > "$out/single-$m-vkserve-r$r.json"
        }
        # Alternate who goes first, so neither always meets a warm or a hot machine.
        if (( r % 2 )); then peer_single; vk_single; else vk_single; peer_single; fi
        echo "bench-compare: single round $r $m done" >&2
    done
done

# ---- through the server ----------------------------------------------------------------------
load_model="$root/models/$(echo $models | cut -d' ' -f1)"
load_args=(--concurrency 12 --requests "$load_requests" --warmup 12 --max-tokens 128 --ignore-eos --temperature 1 --quiet)
run_peer_server() {
    local r=$1 port=18931
    "$peer/llama-server" -m "$load_model" -t "$threads" -np 12 -c $((12 * 512)) --port $port --host 127.0.0.1 \
        --metrics > "$out/llama-server-r$r.log" 2>&1 &
    local pid=$!; pids+=("$pid")
    wait_http "http://127.0.0.1:$port/health" 120 || { echo "bench-compare: llama-server did not start" >&2; exit 1; }
    "$bin/vkserve" bench load --url "http://127.0.0.1:$port" --out "$out/load-llama-r$r" "${load_args[@]}" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
run_vkserved() {
    local r=$1 port=18932 dir="$out/vkserved-r$r"
    mkdir -p "$dir"
    "${vk_env[@]}" "$bin/vkserved" --model "$load_model" --listen "127.0.0.1:$port" --runtime-dir "$dir" \
        --control-socket "$dir/control.sock" --log stderr --set workers.vulkan=0 --set workers.cpu=1 \
        --set workers.threads="$threads" --set model.slots=12 --set model.context=4096 > "$out/vkserved-r$r.log" 2>&1 &
    local pid=$!; pids+=("$pid")
    wait_http "http://127.0.0.1:$port/health" 120 || { echo "bench-compare: vkserved did not start" >&2; exit 1; }
    "$bin/vkserve" bench load --url "http://127.0.0.1:$port" --out "$out/load-vkserve-r$r" "${load_args[@]}" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
for r in $(seq 1 "$load_rounds"); do
    if (( r % 2 )); then run_peer_server "$r"; run_vkserved "$r"; else run_vkserved "$r"; run_peer_server "$r"; fi
    echo "bench-compare: load round $r done" >&2
done

python3 "$here/compare/report.py" "$out" --isa "$isa" --peer "$peer"
echo "bench-compare: wrote $out/report.md and $out/report.svg" >&2
