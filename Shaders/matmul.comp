#version 450
// y[t][r] = Σ_k dequant(W[r][k]) · x[t][k]: matrix-vector (one token) and matrix-matrix (prefill,
// batched decode) products with on-the-fly dequantization of every supported block type.
// One workgroup per weight row and group of TN tokens: each weight block is read and decoded
// once for all TN tokens. The block type is a specialization constant (no copied shaders).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint TYPE = 8;
// 1: the workgroup is one subgroup and reduces with subgroupAdd (no barriers); 0: shared memory.
layout(constant_id = 2) const uint USE_SUBGROUP = 0;
// Weight rows per workgroup: amortizes workgroup start-up and shares each x chunk across rows.
layout(constant_id = 3) const uint NR = 4;
#define TN 8

layout(std430, binding = 0) readonly restrict buffer WB { uint8_t wb[]; };
layout(std430, binding = 0) readonly restrict buffer WH { uint16_t wh[]; };
layout(std430, binding = 0) readonly restrict buffer WU { uint wu[]; };
layout(std430, binding = 1) readonly restrict buffer X { float x[]; };
layout(std430, binding = 1) readonly restrict buffer X4 { vec4 x4[]; };  // same data, 16-byte loads
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint n;         // row length (elements)
    uint rows;
    uint ntok;
    uint x_stride;  // floats between token rows of x
    uint y_stride;  // floats between token rows of y
    uint x_offset;  // floats
    uint y_offset;  // floats
} p;

#include "blocks.glsl"

shared float red[TN * WG];

void main() {
    const uint row0 = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * NR;
    if (row0 >= p.rows) return;  // uniform across the workgroup
    const uint nr = min(NR, p.rows - row0);
    const uint tid = gl_LocalInvocationID.x;
    const uint t0 = gl_WorkGroupID.z * TN;
    const uint nt = min(TN, p.ntok - t0);
    const uint be = block_elems(TYPE), bb = block_bytes(TYPE);
    const uint row_bytes = (p.n / be) * bb;

    float acc[NR * TN];
    for (uint i = 0; i < NR * TN; i++) acc[i] = 0.0;
    // Work is handed out in chunks of 8 elements so short rows still keep every invocation busy.
    const uint chunks = p.n / 8, per_block = max(be / 8, 1u);
    float v[8];
    for (uint ch = tid; ch < chunks; ch += WG) {
        const uint k0 = ch * 8;
        const uint off = be == 1 ? k0 * bb : (ch / per_block) * bb;
        const uint j0 = be == 1 ? 0 : (ch % per_block) * 8;
        // A constant trip count when the group is full, so the x loads below are shared by all rows.
        for (uint r = 0; r < (nr == NR ? NR : nr); r++) {
            dequant8(TYPE, (row0 + r) * row_bytes + off, j0, v);
            const vec4 w0 = vec4(v[0], v[1], v[2], v[3]), w1 = vec4(v[4], v[5], v[6], v[7]);
            for (uint t = 0; t < nt; t++) {
                // x rows are 16-byte aligned: strides and offsets are multiples of 8 floats
                const uint xb = (p.x_offset + (t0 + t) * p.x_stride + k0) / 4;
                acc[r * TN + t] += dot(w0, x4[xb]) + dot(w1, x4[xb + 1]);
            }
        }
    }
    for (uint r = 0; r < nr; r++) {
        if (USE_SUBGROUP == 1) {
            for (uint t = 0; t < nt; t++) {
                const float total = subgroupAdd(acc[r * TN + t]);
                if (subgroupElect()) y[p.y_offset + (t0 + t) * p.y_stride + row0 + r] = total;
            }
            continue;
        }
        for (uint t = 0; t < TN; t++) red[t * WG + tid] = acc[r * TN + t];
        barrier();
        for (uint s = WG / 2; s > 0; s >>= 1) {
            if (tid < s) {
                for (uint t = 0; t < TN; t++) red[t * WG + tid] += red[t * WG + tid + s];
            }
            barrier();
        }
        if (tid == 0) {
            for (uint t = 0; t < nt; t++) y[p.y_offset + (t0 + t) * p.y_stride + row0 + r] = red[t * WG];
        }
        barrier();
    }
}
