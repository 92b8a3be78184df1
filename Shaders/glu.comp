#version 450
// Gated activation in place: gate = act(gate) · up; mode 0 SiLU, 1 GELU (tanh form).
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };

layout(push_constant) uniform Params {
    uint n;
    uint mode;
} p;

void main() {
    const uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64 + gl_GlobalInvocationID.x;
    if (i >= p.n) return;
    const float x = g[i];
    float a;
    if (p.mode == 0) {
        a = x / (1.0 + exp(-x));
    } else if (x <= -10.0) {
        a = 0.0;
    } else if (x >= 10.0) {
        a = x;
    } else {
        a = 0.5 * x * (1.0 + tanh(0.7978845608028654 * x * (1.0 + 0.044715 * x * x)));
    }
    g[i] = a * u[i];
}
