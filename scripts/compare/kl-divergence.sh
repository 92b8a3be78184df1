#!/usr/bin/env bash
# Fidelity in llama.cpp's own terms: llama-perplexity --save-all-logits writes llama.cpp 0c1e57098's
# log-probabilities for each real model on the Apache-2.0 text (context 512, 4 chunks), then
# `vkserve perplexity --kl-divergence-base` evaluates the same chunks and reports the mean KL
# divergence, the share of positions with the same top token and the perplexity ratio.
#
#   scripts/compare/kl-divergence.sh [--isa native|avx2] [--backends "cpu vulkan"] [--out DIR]
#
# Needs a release build (swift build -c release), the models (scripts/fetch-models.sh) and the peer
# (built and cached by scripts/compare/build-peer.sh). The base files are large (vocabulary × 255
# rows × 2 bytes per chunk: 100 MB for SmolLM2, 535 MB for gemma-3) and stay in DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
isa=avx2 backends="cpu" out="${TMPDIR:-/tmp}/vkserve-kld"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --isa) isa=$2; shift 2 ;;
        --backends) backends=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "kl-divergence: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
peer=$("$here/build-peer.sh" --isa "$isa" | tail -1)
mkdir -p "$out"
text=/usr/share/common-licenses/Apache-2.0
vk_env=()
[[ "$isa" == avx2 ]] && vk_env=(env CK_DISABLE=avx512)
echo "kl-divergence: CPU $(lscpu | grep -m1 'Model name' | sed 's/.*: *//'), isa $isa" >&2
for m in SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf; do
    base="$out/$m.kld"
    if [[ ! -s "$base" ]]; then
        "$peer/llama-perplexity" -m "$root/models/$m" -f "$text" -c 512 --chunks 4 -b 512 -t 2 \
            --save-all-logits "$base" > "$out/$m.llama.log" 2>&1
        grep "Final estimate" "$out/$m.llama.log" >&2
    fi
    for b in $backends; do
        echo "== $m, vkserve $b against llama.cpp" >&2
        "${vk_env[@]}" "$root/.build/release/vkserve" perplexity --backend "$b" --model "$root/models/$m" \
            --kl-divergence-base "$base" > "$out/$m.$b.json" 2> "$out/$m.$b.log"
        grep -v '^\[chunk' "$out/$m.$b.log" >&2
    done
done
