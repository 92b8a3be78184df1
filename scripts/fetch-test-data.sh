#!/usr/bin/env bash
# Fetch llama.cpp's tokenizer test vectors and chat templates, as llama.cpp 0c1e57098 ships them inside
# the llama-cpp-python 0.3.36 sdist on PyPI: the models/ggml-vocab-*.gguf vocabulary-only files with
# their .inp (texts) and .out (token ids) files, which the tokenizer tests run for every generative
# vocabulary, and the models' chat templates (models/templates/*.jinja and the template strings in
# tests/test-chat-template.cpp), which the chat-template tests render against llama-server's output.
#
#   scripts/fetch-test-data.sh [DIR]   (default: test-data/ at the repository root)
#
# Writes DIR/ggml-vocab/ and DIR/chat-templates/. The sdist (about 60 MB) is cached in ${XDG_CACHE_HOME:-~/.cache}/vkserve-peer,
# the same cache scripts/compare/build-peer.sh uses; a second run with the files present does nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$root/test-data"}
die() { echo "fetch-test-data: $*" >&2; exit 1; }

version=0.3.36
sha256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
url="https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-$version.tar.gz"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vkserve-peer"
tarball="$cache/llama_cpp_python-$version.tar.gz"
out="$dir/ggml-vocab"
stamp="$out/.complete-$version"
templates="$dir/chat-templates"
templates_stamp="$templates/.complete-$version"

if [[ -f "$stamp" && -f "$templates_stamp" ]]; then
    echo "ok        ggml-vocab test vectors and chat templates (llama-cpp-python $version)"
    exit 0
fi
command -v curl >/dev/null || die "curl is required (apt-get install curl)"
command -v tar >/dev/null || die "tar is required"
mkdir -p "$cache"
if ! echo "$sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
    echo "fetching  llama-cpp-python $version sdist (llama.cpp's tokenizer test vectors)"
    curl -fsSL --retry 3 -o "$tarball.part" "$url" || die "could not download $url (is PyPI reachable?)"
    echo "$sha256  $tarball.part" | sha256sum -c --status || die "checksum mismatch for $url"
    mv "$tarball.part" "$tarball"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src="llama_cpp_python-$version/vendor/llama.cpp"
tar -xzf "$tarball" -C "$tmp" --wildcards "$src/models/ggml-vocab-*" "$src/models/templates/*.jinja" \
    "$src/tests/test-chat-template.cpp" || die "could not extract the test data from $tarball"
rm -rf "$out" "$templates"
mkdir -p "$out" "$templates"
mv "$tmp/$src/models/"ggml-vocab-* "$out/"
mv "$tmp/$src/models/templates/"*.jinja "$tmp/$src/tests/test-chat-template.cpp" "$templates/"
n=$(ls "$out"/*.gguf.inp | wc -l)
(( n > 0 )) || die "the sdist held no ggml-vocab test vectors"
t=$(ls "$templates"/*.jinja | wc -l)
(( t > 0 )) || die "the sdist held no chat templates"
touch "$stamp" "$templates_stamp"
echo "ok        ggml-vocab test vectors: $n vocabularies with cases in $out"
echo "ok        chat templates: $t files and llama.cpp's test-chat-template.cpp in $templates"
