#version 450
// Write each token's K or V row (f32) into the layer's f16 cache at (slot, position).
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Pos { int pos[]; };
layout(std430, binding = 2) readonly buffer Slot { int slot[]; };
layout(std430, binding = 3) writeonly buffer Cache { uint16_t cache[]; };

layout(push_constant) uniform Params {
    uint ntok;
    uint kv_dim;
    uint slot_stride;  // elements per slot
} p;

void main() {
    const uint id = gl_GlobalInvocationID.x;
    if (id >= p.ntok * p.kv_dim) return;
    const uint t = id / p.kv_dim, e = id % p.kv_dim;
    const uint dst = uint(slot[t]) * p.slot_stride + uint(pos[t]) * p.kv_dim + e;
    cache[dst] = uint16_t(packHalf2x16(vec2(x[id], 0.0)) & 0xFFFFu);
}
