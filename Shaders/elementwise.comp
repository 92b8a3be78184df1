#version 450
// Element-wise ops: op 0: a += b (residual add), op 1: a *= scale.
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };

layout(push_constant) uniform Params {
    uint n;
    uint op;
    float scale;
} p;

void main() {
    const uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64 + gl_GlobalInvocationID.x;
    if (i >= p.n) return;
    if (p.op == 0) a[i] += b[i];
    else a[i] *= p.scale;
}
