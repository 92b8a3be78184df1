#version 450
// Element-wise ops: op 0: a += b (residual add), op 1: a *= scale, op 2: a += b[i % width] (a bias
// added to every row), op 3: a = tanh(a / scale) * scale (soft-capping).
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };

layout(push_constant) uniform Params {
    uint n;
    uint op;
    float scale;
    uint width;
} p;

void main() {
    const uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64 + gl_GlobalInvocationID.x;
    if (i >= p.n) return;
    if (p.op == 0) a[i] += b[i];
    else if (p.op == 1) a[i] *= p.scale;
    else if (p.op == 2) a[i] += b[i % p.width];
    else a[i] = tanh(a[i] / p.scale) * p.scale;
}
