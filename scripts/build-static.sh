#!/usr/bin/env bash
# Build a vkserve binary that runs where no Swift toolchain is installed: the Swift runtime and
# Foundation are linked in (--static-swift-stdlib) and the Vulkan loader is opened at run time,
# so the target machine needs only glibc, libstdc++, the Vulkan loader (libvulkan.so.1) and
# its GPU driver. Prints the binary's path.
#
#   scripts/build-static.sh [--scratch-path DIR]     (default .build-static)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-static
if [[ "${1:-}" == "--scratch-path" ]]; then scratch=$2; fi
swift build -c release --static-swift-stdlib --product vkserve --scratch-path "$scratch" >&2
bin="$scratch/release/vkserve"
if ldd "$bin" | grep -q 'libswift\|libFoundation'; then
    echo "build-static: $bin still links the Swift runtime dynamically:" >&2
    ldd "$bin" >&2
    exit 1
fi
echo "$bin"
