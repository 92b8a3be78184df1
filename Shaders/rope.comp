#version 450
// RoPE in place over `heads` heads of each row, from a cos/sin table the host computes per
// token (cs[t][2i], cs[t][2i+1]); mode 0 rotates adjacent pairs (llama), 2 the halves (NeoX).
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer CS { float cs[]; };

layout(push_constant) uniform Params {
    uint ntok;
    uint row_stride;
    uint heads;
    uint head_dim;
    uint mode;
} p;

void main() {
    const uint half_dim = p.head_dim / 2;
    const uint id = gl_GlobalInvocationID.x;
    if (id >= p.ntok * p.heads * half_dim) return;
    const uint i = id % half_dim;
    const uint h = (id / half_dim) % p.heads;
    const uint t = id / (half_dim * p.heads);
    const float c = cs[t * p.head_dim + 2 * i], s = cs[t * p.head_dim + 2 * i + 1];
    const uint base = t * p.row_stride + h * p.head_dim;
    const uint a = p.mode == 2 ? base + i : base + 2 * i;
    const uint b = p.mode == 2 ? base + i + half_dim : base + 2 * i + 1;
    const float x0 = x[a], x1 = x[b];
    x[a] = x0 * c - x1 * s;
    x[b] = x0 * s + x1 * c;
}
