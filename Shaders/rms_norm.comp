#version 450
// RMSNorm of each row (one workgroup per row), times a weight vector: y = x / sqrt(mean(x²) + eps) * w.
// With heads > 1 each row is split into `heads` rows of n (per-head norm of Q and K).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint n;        // elements per row
    uint rows;
    float eps;
    uint x_offset; // in floats
    uint y_offset;
} p;

shared float partial[WG];

void main() {
    const uint row = gl_WorkGroupID.x;
    if (row >= p.rows) return;
    const uint base_x = p.x_offset + row * p.n;
    const uint base_y = p.y_offset + row * p.n;
    float sum = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) {
        const float v = x[base_x + i];
        sum += v * v;
    }
    partial[gl_LocalInvocationID.x] = sum;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (gl_LocalInvocationID.x < s) partial[gl_LocalInvocationID.x] += partial[gl_LocalInvocationID.x + s];
        barrier();
    }
    const float scale = 1.0 / sqrt(partial[0] / float(p.n) + p.eps);
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) {
        y[base_y + i] = (x[base_x + i] * scale) * w[i];
    }
}
