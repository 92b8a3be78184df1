#version 450
// Device read bandwidth: every invocation streams 16-byte words through a grid-stride loop
// (consecutive invocations read consecutive words, as a matrix-vector kernel's rows are read)
// and folds them into one word per workgroup, so the reads cannot be optimized away.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;

layout(std430, binding = 0) readonly restrict buffer Src { uvec4 src[]; };
layout(std430, binding = 1) writeonly restrict buffer Dst { uint dst[]; };

layout(push_constant) uniform Params {
    uint words;  // 16-byte words in src
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * WG;
    uvec4 acc = uvec4(0);
    for (uint i = gl_GlobalInvocationID.x; i < p.words; i += stride) acc ^= src[i];
    const uint folded = acc.x ^ acc.y ^ acc.z ^ acc.w;
    if (folded == 0x9e3779b9u) dst[gl_WorkGroupID.x] = folded;  // almost never taken; keeps the loads live
}
