#version 450
// Attention of one token's head over its slot of the f16 KV cache: causal, optionally within a
// sliding window; softmax in f32 with scores kept in a scratch buffer (any context length).
// One workgroup per (head, token).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { uint16_t kc[]; };
layout(std430, binding = 2) readonly buffer V { uint16_t vc[]; };
layout(std430, binding = 3) readonly buffer Pos { int pos[]; };
layout(std430, binding = 4) readonly buffer Slot { int slot[]; };
layout(std430, binding = 5) buffer Scores { float scores[]; };
layout(std430, binding = 6) writeonly buffer O { float o[]; };

layout(push_constant) uniform Params {
    uint ntok;
    uint heads;
    uint kv_heads;
    uint head_dim;
    uint slot_stride;  // elements per slot
    uint context;      // positions per slot (scores row length)
    uint window;       // 0: none
    float scale;
    float softcap;     // > 0: scores become softcap * tanh(score * scale / softcap)
} p;

shared float red[WG];

float h2f(uint16_t v) { return unpackHalf2x16(uint(v)).x; }

void main() {
    const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y;
    const uint tid = gl_LocalInvocationID.x;
    const uint kvh = h / (p.heads / p.kv_heads);
    const uint kv_dim = p.kv_heads * p.head_dim;
    const int pt = pos[t];
    const int lo = p.window > 0 ? max(0, pt - int(p.window) + 1) : 0;
    const uint cnt = uint(pt - lo + 1);
    const uint qb = t * p.heads * p.head_dim + h * p.head_dim;
    const uint cb = uint(slot[t]) * p.slot_stride + kvh * p.head_dim;
    const uint sb = (t * p.heads + h) * p.context;

    float mx = -1.0 / 0.0;
    for (uint j = tid; j < cnt; j += WG) {
        const uint kb = cb + uint(lo + int(j)) * kv_dim;
        float s = 0.0;
        for (uint d = 0; d < p.head_dim; d++) s += q[qb + d] * h2f(kc[kb + d]);
        if (p.softcap > 0.0) s = p.softcap * tanh(s * (p.scale / p.softcap));
        else s *= p.scale;
        scores[sb + j] = s;
        mx = max(mx, s);
    }
    red[tid] = mx;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] = max(red[tid], red[tid + s]);
        barrier();
    }
    mx = red[0];
    barrier();
    float sum = 0.0;
    for (uint j = tid; j < cnt; j += WG) {
        const float e = exp(scores[sb + j] - mx);
        scores[sb + j] = e;
        sum += e;
    }
    red[tid] = sum;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] += red[tid + s];
        barrier();
    }
    const float inv = 1.0 / red[0];
    memoryBarrierBuffer();
    barrier();
    for (uint d = tid; d < p.head_dim; d += WG) {
        float acc = 0.0;
        for (uint j = 0; j < cnt; j++) acc += scores[sb + j] * h2f(vc[cb + uint(lo + int(j)) * kv_dim + d]);
        o[qb + d] = acc * inv;
    }
}
