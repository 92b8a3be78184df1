#version 450
// Matrix-matrix product for prefill and large batches: y[t][r] = Σ_k dequant(W[r][k]) · x[t][k].
// A workgroup computes a tile of BM weight rows × BN tokens; each 32-wide step of k is decoded
// into shared memory once and reused by every token of the tile (the weights are read once per
// BN tokens instead of once per token).
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint TYPE = 8;

#define BM 32
#define BN 32
#define BK 32

layout(std430, binding = 0) readonly buffer WB { uint8_t wb[]; };
layout(std430, binding = 0) readonly buffer WH { uint16_t wh[]; };
layout(std430, binding = 0) readonly buffer WU { uint wu[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint n;
    uint rows;
    uint ntok;
    uint x_stride;
    uint y_stride;
    uint x_offset;
    uint y_offset;
} p;

#include "blocks.glsl"

shared float ws[BM][BK + 1];
shared float xs[BN][BK + 1];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint r0 = gl_WorkGroupID.x * BM, t0 = gl_WorkGroupID.y * BN;
    const uint be = block_elems(TYPE), bb = block_bytes(TYPE);
    const uint row_bytes = (p.n / be) * bb;
    const uint per_block = max(be / 8, 1u);
    // each invocation owns a 4×4 patch of the output tile
    const uint pr = (tid % 8) * 4, pt = (tid / 8) * 4;
    float acc[16];
    for (uint i = 0; i < 16; i++) acc[i] = 0.0;
    float v[8];
    for (uint k0 = 0; k0 < p.n; k0 += BK) {
        // weights: BM rows × 4 chunks of 8 = 128 chunks, two per invocation
        for (uint c = tid; c < BM * (BK / 8); c += 64) {
            const uint r = c / (BK / 8), ch = (k0 / 8) + c % (BK / 8);
            if (r0 + r < p.rows) {
                const uint off = be == 1 ? ch * 8 * bb : (ch / per_block) * bb;
                dequant8(TYPE, (r0 + r) * row_bytes + off, be == 1 ? 0 : (ch % per_block) * 8, v);
            } else {
                for (uint j = 0; j < 8; j++) v[j] = 0.0;
            }
            for (uint j = 0; j < 8; j++) ws[r][(c % (BK / 8)) * 8 + j] = v[j];
        }
        // activations: BN tokens × BK values
        for (uint i = tid; i < BN * BK; i += 64) {
            const uint t = i / BK, k = i % BK;
            xs[t][k] = t0 + t < p.ntok ? x[p.x_offset + (t0 + t) * p.x_stride + k0 + k] : 0.0;
        }
        barrier();
        for (uint k = 0; k < BK; k++) {
            float wv[4], xv[4];
            for (uint i = 0; i < 4; i++) { wv[i] = ws[pr + i][k]; xv[i] = xs[pt + i][k]; }
            for (uint i = 0; i < 4; i++)
                for (uint j = 0; j < 4; j++) acc[i * 4 + j] += wv[i] * xv[j];
        }
        barrier();
    }
    for (uint i = 0; i < 4; i++) {
        for (uint j = 0; j < 4; j++) {
            const uint r = r0 + pr + i, t = t0 + pt + j;
            if (r < p.rows && t < p.ntok) y[p.y_offset + t * p.y_stride + r] = acc[i * 4 + j];
        }
    }
}
