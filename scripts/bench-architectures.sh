#!/usr/bin/env bash
# Decode and prefill speed of each architecture the engine runs, at one shape: synthetic random-weight
# models (vkserve synth-model --arch A) of SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads,
# FFN 1536) with SmolLM2's 49k vocabulary and every matrix in Q4_0 (576 is no multiple of the 256-wide K blocks), measured with `vkserve bench single`
# on the CPU in alternating rounds (llama, qwen2, ..., llama, qwen2, ...), medians reported beside llama's.
# Each architecture's extra work (biases, q/k norms, fused projections split, soft-caps, post-norms,
# sliding windows) should cost little: issue 15 asks for decode within 10 % of llama's.
#
#   scripts/bench-architectures.sh [--rounds N] [--threads N] [--out DIR]
#
# Needs the release build (swift build -c release) and models/ (scripts/fetch-models.sh). Writes the
# models and DIR/report.md (default: a temporary directory, removed afterwards unless --out is given).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "bench-architectures: $*" >&2; exit 1; }

rounds=3
threads=0
out=""
while (( $# )); do
    case "$1" in
        --rounds) rounds=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
vkserve="$root/.build/release/vkserve"
[[ -x "$vkserve" ]] || die "$vkserve is missing: run swift build -c release"
vocab="$root/models/SmolLM2-135M-Instruct.Q4_1.gguf"
[[ -f "$vocab" ]] || die "$vocab is missing: run scripts/fetch-models.sh"
if [[ -z "$out" ]]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

arches=(llama qwen2 qwen3 phi3 gemma2)
for a in "${arches[@]}"; do
    "$vkserve" synth-model --arch "$a" --vocab "$vocab" --hidden 576 --layers 30 --heads 9 --kv-heads 3 \
        --ffn 1536 --type Q4_0 "$out/$a.gguf" >/dev/null
done

declare -A decode prefill
for r in $(seq 1 "$rounds"); do
    for a in "${arches[@]}"; do
        json=$("$vkserve" bench single --model "$out/$a.gguf" --backend cpu --threads "$threads" \
            --prompt-tokens 64 --decode-tokens 64 --repetitions 3 --json)
        d=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["decode_tokens_per_second"], 1))' "$json")
        p=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["prompt_tokens_per_second"], 1))' "$json")
        decode[$a]+="$d "
        prefill[$a]+="$p "
        echo "round $r  $a: decode $d tok/s, prefill $p tok/s" >&2
    done
done

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
isa=$(grep -o -w -m1 -E 'avx512_vnni|avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
llama_d=$(echo "${decode[llama]}" | median)
llama_p=$(echo "${prefill[llama]}" | median)
{
    echo "# Architectures at one shape: decode and prefill on the CPU"
    echo
    echo "SmolLM2-135M's shape, every matrix Q4_0, SmolLM2's vocabulary; \`vkserve bench single\` (64-token"
    echo "prompt, 64 decoded, median of 3 per round), $rounds alternating rounds. CPU: $cpu ($isa), threads: $threads (0 = one per core)."
    echo
    echo "| architecture | decode tok/s (rounds) | median | vs llama | prefill tok/s median | vs llama |"
    echo "| --- | --- | ---: | ---: | ---: | ---: |"
    for a in "${arches[@]}"; do
        d=$(echo "${decode[$a]}" | median)
        p=$(echo "${prefill[$a]}" | median)
        printf '| %s | %s | %s | %.2f | %s | %.2f |\n' "$a" "$(echo "${decode[$a]}" | xargs | tr ' ' '/')" "$d" \
            "$(awk -v a="$d" -v b="$llama_d" 'BEGIN {print a / b}')" "$p" \
            "$(awk -v a="$p" -v b="$llama_p" 'BEGIN {print a / b}')"
    done
} | tee "$out/report.md"
