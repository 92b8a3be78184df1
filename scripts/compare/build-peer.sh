#!/usr/bin/env bash
# Build the reference peer, llama.cpp 0c1e57098, from the llama-cpp-python 0.3.36 sdist on PyPI,
# natively for this CPU (GGML_NATIVE), CPU backend only. The build is cached: a second run with
# the same cache directory and the same CPU flags returns at once.
#
#   scripts/compare/build-peer.sh [--cache DIR] [--isa native|avx2]
#
# --cache defaults to ${XDG_CACHE_HOME:-~/.cache}/vkserve-peer. --isa avx2 builds for AVX2+FMA+F16C
# only (no AVX-512), to measure an AVX2 machine's figures on a CPU that has more; vkserve is then
# run with CK_DISABLE=avx512. Prints the directory that holds llama-bench, llama-server, llama-tokenize and
# llama-perplexity last.
# Needs curl, tar, a C/C++ compiler and cmake (installed from Debian's packages when missing).
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vkserve-peer"
isa=native
while [[ $# -gt 0 ]]; do
    case "$1" in
        --cache) cache=$2; shift 2 ;;
        --isa) isa=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-peer: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
version=0.3.36
sha256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
commit=0c1e57098
url="https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-$version.tar.gz"
case "$isa" in
    native)
        # A native build is only valid on a CPU with the same vector extensions: key the cache on them.
        flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|fma|f16c|amx)' | sort -u | tr '\n' ',' || true)
        key=native-$(printf '%s' "$flags" | sha256sum | cut -c1-12)
        isa_flags=(-DGGML_NATIVE=ON) ;;
    avx2)
        grep -qw avx2 /proc/cpuinfo || { echo "build-peer: this CPU has no AVX2" >&2; exit 1; }
        flags="avx,avx2,fma,f16c (AVX-512 off)"
        key=avx2
        isa_flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
                   -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF) ;;
    *) echo "build-peer: --isa must be native or avx2 (got '$isa')" >&2; exit 2 ;;
esac
out="$cache/llama.cpp-$commit-$key"
tools=(llama-bench llama-server llama-tokenize llama-perplexity)
have_all=1
for t in "${tools[@]}"; do [[ -x "$out/bin/$t" ]] || have_all=0; done
if (( have_all )); then
    echo "build-peer: cached build for this CPU ($flags)" >&2
    echo "$out/bin"; exit 0
fi
mkdir -p "$cache"
tarball="$cache/llama_cpp_python-$version.tar.gz"
if ! echo "$sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
    echo "build-peer: downloading llama-cpp-python $version sdist" >&2
    curl -fsSL --retry 3 -o "$tarball.part" "$url"
    echo "$sha256  $tarball.part" | sha256sum -c --status || { echo "build-peer: checksum mismatch for $url" >&2; exit 1; }
    mv "$tarball.part" "$tarball"
fi
if ! command -v cmake >/dev/null; then
    echo "build-peer: installing cmake (Debian)" >&2
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends cmake >/dev/null
fi
src="$cache/src-$version"
if [[ ! -d "$src/vendor/llama.cpp" ]]; then
    rm -rf "$src.part"; mkdir -p "$src.part"
    tar -xzf "$tarball" -C "$src.part" --strip-components=1
    mv "$src.part" "$src"
fi
build="$out/build"
echo "build-peer: building llama.cpp $commit (native: $flags) in $build; about 15 minutes on 2 cores" >&2
cmake -S "$src/vendor/llama.cpp" -B "$build" -DCMAKE_BUILD_TYPE=Release "${isa_flags[@]}" \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >"$out.cmake.log" 2>&1 \
    || { echo "build-peer: cmake configure failed; see $out.cmake.log" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" --target "${tools[@]}" >"$out.build.log" 2>&1 \
    || { echo "build-peer: build failed; see $out.build.log" >&2; exit 1; }
mkdir -p "$out/bin"
for t in "${tools[@]}"; do cp "$build/bin/$t" "$out/bin/"; done
echo "$commit" > "$out/COMMIT"
echo "$out/bin"
