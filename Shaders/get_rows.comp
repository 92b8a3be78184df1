#version 450
// Embedding lookup: y[t] = dequant(W[ids[t]]) · scale, one workgroup per token.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint TYPE = 8;

layout(std430, binding = 0) readonly buffer WB { uint8_t wb[]; };
layout(std430, binding = 0) readonly buffer WH { uint16_t wh[]; };
layout(std430, binding = 0) readonly buffer WU { uint wu[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint n;     // row length
    uint ntok;
    float scale;
} p;

#include "blocks.glsl"

void main() {
    const uint t = gl_WorkGroupID.x;
    if (t >= p.ntok) return;
    const uint be = block_elems(TYPE), bb = block_bytes(TYPE);
    const uint rowb = uint(ids[t]) * (p.n / be) * bb;
    const uint per_block = max(be / 8, 1u);
    float v[8];
    for (uint ch = gl_LocalInvocationID.x; ch < p.n / 8; ch += WG) {
        if (be == 1) dequant8(TYPE, rowb + ch * 8 * bb, 0, v);
        else dequant8(TYPE, rowb + (ch / per_block) * bb, (ch % per_block) * 8, v);
        for (uint j = 0; j < 8; j++) y[t * p.n + ch * 8 + j] = v[j] * p.scale;
    }
}
