#!/usr/bin/env bash
# Decode speed of a Llama-2-7B-shaped Q4_K model (hidden 4096, 32 layers, FFN 11008; random
# weights) on a Vulkan device, against the bound that device's measured read bandwidth sets:
# tokens/s ≤ bandwidth ÷ weight bytes read per token. The goal is ≥ 80 % of that bound.
#
#   scripts/bench-7b.sh [--binary PATH] [--device N] [--work DIR] [--layers N] [--type T]
#                       [--decode-tokens N] [--require FRACTION]
#
# It needs only a vkserve binary, the Vulkan loader (libvulkan.so.1) and the GPU's driver: on a
# machine without Swift, copy this script and a binary from scripts/build-static.sh. The model
# file (3.9 GB for the full shape) is written once into the work directory and reused.
# Prints the devices and the benchmark table (decode as a fraction of the bound); writes
# result.json into the work directory. Needs no Python or Swift on the machine.
# Exit status: 0 measured (and, with --require, at or above the fraction), 1 below --require,
# 2 the run failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="" device="" work="${TMPDIR:-/tmp}/vkserve-bench-7b" layers=32 type=Q4_K decode=128 require=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --device) device=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --layers) layers=$2; shift 2 ;;
        --type) type=$2; shift 2 ;;
        --decode-tokens) decode=$2; shift 2 ;;
        --require) require=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-7b: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if [[ -z "$binary" ]]; then
    for candidate in "$here/vkserve" "$here/../.build-static/release/vkserve" "$here/../.build/release/vkserve"; do
        if [[ -x "$candidate" ]]; then binary=$candidate; break; fi
    done
fi
if [[ -z "$binary" || ! -x "$binary" ]]; then
    echo "bench-7b: no vkserve binary; build one with scripts/build-static.sh or pass --binary PATH" >&2
    exit 2
fi
mkdir -p "$work"
model="$work/llama-7b-shape-${layers}l-$type.gguf"
device_args=()
if [[ -n "$device" ]]; then device_args=(--device "$device"); fi

"$binary" devices || { echo "bench-7b: no Vulkan device could be listed" >&2; exit 2; }
if [[ ! -s "$model" ]]; then
    "$binary" synth-model --layers "$layers" --type "$type" "$model" || exit 2
fi
require_args=()
if [[ -n "$require" ]]; then require_args=(--min-fraction-of-bound "$require"); fi
"$binary" bench single --backend vulkan "${device_args[@]}" --model "$model" --prompt-tokens 64 \
    --decode-tokens "$decode" --repetitions 3 --json-out "$work/result.json" "${require_args[@]}"
