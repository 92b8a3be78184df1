// Scalar reference kernels: dequantize, activation quantizers and dot products with ggml's
// formulas and order of operations. The SIMD families are tested against these.
#include "ck_internal.h"

#define CK_MIN(a, b) ((a) < (b) ? (a) : (b))

int ck_block_elems(int type) {
    switch (type) {
    case CK_F32: case CK_F16: case CK_BF16: return 1;
    case CK_Q4_0: case CK_Q4_1: case CK_Q5_0: case CK_Q5_1: case CK_Q8_0: case CK_Q8_1: return CK_QK;
    case CK_Q4_K: case CK_Q5_K: case CK_Q6_K: case CK_Q8_K: return CK_QK_K;
    default: return 0;
    }
}

size_t ck_block_bytes(int type) {
    switch (type) {
    case CK_F32: return 4;
    case CK_F16: case CK_BF16: return 2;
    case CK_Q4_0: return sizeof(ck_block_q4_0);
    case CK_Q4_1: return sizeof(ck_block_q4_1);
    case CK_Q5_0: return sizeof(ck_block_q5_0);
    case CK_Q5_1: return sizeof(ck_block_q5_1);
    case CK_Q8_0: return sizeof(ck_block_q8_0);
    case CK_Q8_1: return sizeof(ck_block_q8_1);
    case CK_Q4_K: return sizeof(ck_block_q4_K);
    case CK_Q5_K: return sizeof(ck_block_q5_K);
    case CK_Q6_K: return sizeof(ck_block_q6_K);
    case CK_Q8_K: return sizeof(ck_block_q8_K);
    default: return 0;
    }
}

// ---- dequantize ---------------------------------------------------------------------------

static void deq_q4_0(const ck_block_q4_0 *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d);
        for (int j = 0; j < 16; j++) {
            const int x0 = (x[i].qs[j] & 0x0F) - 8;
            const int x1 = (x[i].qs[j] >> 4) - 8;
            y[i * 32 + j] = x0 * d;
            y[i * 32 + j + 16] = x1 * d;
        }
    }
}

static void deq_q4_1(const ck_block_q4_1 *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d), m = ck_h2f(x[i].m);
        for (int j = 0; j < 16; j++) {
            const int x0 = x[i].qs[j] & 0x0F;
            const int x1 = x[i].qs[j] >> 4;
            y[i * 32 + j] = x0 * d + m;
            y[i * 32 + j + 16] = x1 * d + m;
        }
    }
}

static void deq_q5_0(const ck_block_q5_0 *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d);
        uint32_t qh; memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < 16; j++) {
            const uint8_t xh0 = ((qh >> j) << 4) & 0x10;
            const uint8_t xh1 = (qh >> (j + 12)) & 0x10;
            const int x0 = ((x[i].qs[j] & 0x0F) | xh0) - 16;
            const int x1 = ((x[i].qs[j] >> 4) | xh1) - 16;
            y[i * 32 + j] = x0 * d;
            y[i * 32 + j + 16] = x1 * d;
        }
    }
}

static void deq_q5_1(const ck_block_q5_1 *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d), m = ck_h2f(x[i].m);
        uint32_t qh; memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < 16; j++) {
            const uint8_t xh0 = ((qh >> j) << 4) & 0x10;
            const uint8_t xh1 = (qh >> (j + 12)) & 0x10;
            const int x0 = (x[i].qs[j] & 0x0F) | xh0;
            const int x1 = (x[i].qs[j] >> 4) | xh1;
            y[i * 32 + j] = x0 * d + m;
            y[i * 32 + j + 16] = x1 * d + m;
        }
    }
}

static void deq_q8_0(const ck_block_q8_0 *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d);
        for (int j = 0; j < 32; j++) y[i * 32 + j] = x[i].qs[j] * d;
    }
}

static void deq_q8_1(const ck_block_q8_1 *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d);
        for (int j = 0; j < 32; j++) y[i * 32 + j] = x[i].qs[j] * d;
    }
}

static void deq_q4_K(const ck_block_q4_K *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *q = x[i].qs;
        const float d = ck_h2f(x[i].d), min = ck_h2f(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        for (int j = 0; j < CK_QK_K; j += 64) {
            ck_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            ck_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
            q += 32; is += 2;
        }
    }
}

static void deq_q5_K(const ck_block_q5_K *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *ql = x[i].qs, *qh = x[i].qh;
        const float d = ck_h2f(x[i].d), min = ck_h2f(x[i].dmin);
        int is = 0;
        uint8_t sc, m, u1 = 1, u2 = 2;
        for (int j = 0; j < CK_QK_K; j += 64) {
            ck_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            ck_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32; is += 2;
            u1 <<= 2; u2 <<= 2;
        }
    }
}

static void deq_q6_K(const ck_block_q6_K *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_h2f(x[i].d);
        const uint8_t *ql = x[i].ql, *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        for (int n = 0; n < CK_QK_K; n += 128) {
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int8_t q1 = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int8_t q2 = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int8_t q3 = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * sc[is + 0] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
            y += 128; ql += 64; qh += 32; sc += 8;
        }
    }
}

static void deq_q8_K(const ck_block_q8_K *x, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++)
        for (int j = 0; j < CK_QK_K; j++) *y++ = x[i].d * x[i].qs[j];
}

void ck_scalar_dequantize(int type, const void *x, float *y, int64_t n) {
    const int64_t nb = n / (ck_block_elems(type) ? ck_block_elems(type) : 1);
    switch (type) {
    case CK_F32: memcpy(y, x, (size_t)n * 4); break;
    case CK_F16: for (int64_t i = 0; i < n; i++) y[i] = ck_h2f(((const uint16_t *)x)[i]); break;
    case CK_BF16: for (int64_t i = 0; i < n; i++) y[i] = ck_bf2f(((const uint16_t *)x)[i]); break;
    case CK_Q4_0: deq_q4_0(x, y, nb); break;
    case CK_Q4_1: deq_q4_1(x, y, nb); break;
    case CK_Q5_0: deq_q5_0(x, y, nb); break;
    case CK_Q5_1: deq_q5_1(x, y, nb); break;
    case CK_Q8_0: deq_q8_0(x, y, nb); break;
    case CK_Q8_1: deq_q8_1(x, y, nb); break;
    case CK_Q4_K: deq_q4_K(x, y, nb); break;
    case CK_Q5_K: deq_q5_K(x, y, nb); break;
    case CK_Q6_K: deq_q6_K(x, y, nb); break;
    case CK_Q8_K: deq_q8_K(x, y, nb); break;
    default: break;
    }
}

// ---- activation quantizers (ggml's *_ref semantics) ----------------------------------------

static inline int nearest_int(float fval) {
    float val = fval + 12582912.f;   // round half to even through the float adder
    int i; memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

// ggml's x86 build (the one llama.cpp's references come from) quantizes activations with
// id = 127/amax and round-half-to-even, not the portable reference's 1/d and roundf; the
// difference shows up as flipped near-ties in greedy decoding, so follow the x86 path.
static void quant_q8_0(const float *x, ck_block_q8_0 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) { const float v = x[i * 32 + j]; amax = amax > fabsf(v) ? amax : fabsf(v); }
        const float d = amax / 127.f;
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        y[i].d = ck_f2h(d);
        for (int j = 0; j < 32; ++j) y[i].qs[j] = (int8_t)nearbyintf(x[i * 32 + j] * id);
    }
}

static void quant_q8_1(const float *x, ck_block_q8_1 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) { const float v = x[i * 32 + j]; amax = amax > fabsf(v) ? amax : fabsf(v); }
        const float d = amax / 127.f;
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        y[i].d = ck_f2h(d);
        int sum = 0;
        for (int j = 0; j < 32; ++j) {
            y[i].qs[j] = (int8_t)nearbyintf(x[i * 32 + j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = ck_f2h(d * (float)sum);
    }
}

static void quant_q8_K(const float *x, ck_block_q8_K *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += CK_QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < CK_QK_K; ++j) {
            const float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (!amax) {
            y[i].d = 0;
            memset(y[i].qs, 0, sizeof y[i].qs);
            memset(y[i].bsums, 0, sizeof y[i].bsums);
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < CK_QK_K; ++j) {
            const int v = nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)CK_MIN(127, v);
        }
        for (int j = 0; j < CK_QK_K / 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += y[i].qs[j * 16 + ii];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

void ck_scalar_quantize(int dot_type, const float *x, void *y, int64_t n) {
    switch (dot_type) {
    case CK_F32: memcpy(y, x, (size_t)n * 4); break;
    case CK_F16: for (int64_t i = 0; i < n; i++) ((uint16_t *)y)[i] = ck_f2h(x[i]); break;
    case CK_BF16: for (int64_t i = 0; i < n; i++) ((uint16_t *)y)[i] = ck_f2bf(x[i]); break;
    case CK_Q8_0: quant_q8_0(x, y, n / CK_QK); break;
    case CK_Q8_1: quant_q8_1(x, y, n / CK_QK); break;
    case CK_Q8_K: quant_q8_K(x, y, n / CK_QK_K); break;
    default: break;
    }
}

// ---- dot products (ggml's scalar formulas) -------------------------------------------------

static float dot_q4_0(const ck_block_q4_0 *x, const ck_block_q8_0 *y, int64_t nb) {
    float sumf = 0;
    for (int64_t ib = 0; ib < nb; ib++) {
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; j++) {
            const int v0 = (x[ib].qs[j] & 0x0F) - 8, v1 = (x[ib].qs[j] >> 4) - 8;
            sumi0 += v0 * y[ib].qs[j];
            sumi1 += v1 * y[ib].qs[j + 16];
        }
        sumf += (sumi0 + sumi1) * ck_h2f(x[ib].d) * ck_h2f(y[ib].d);
    }
    return sumf;
}

static float dot_q4_1(const ck_block_q4_1 *x, const ck_block_q8_1 *y, int64_t nb) {
    float sumf = 0;
    for (int64_t ib = 0; ib < nb; ib++) {
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; j++) {
            sumi0 += (x[ib].qs[j] & 0x0F) * y[ib].qs[j];
            sumi1 += (x[ib].qs[j] >> 4) * y[ib].qs[j + 16];
        }
        sumf += (ck_h2f(x[ib].d) * ck_h2f(y[ib].d)) * (sumi0 + sumi1) + ck_h2f(x[ib].m) * ck_h2f(y[ib].s);
    }
    return sumf;
}

static float dot_q5_0(const ck_block_q5_0 *x, const ck_block_q8_0 *y, int64_t nb) {
    float sumf = 0;
    for (int64_t ib = 0; ib < nb; ib++) {
        uint32_t qh; memcpy(&qh, x[ib].qh, 4);
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; j++) {
            const uint8_t xh0 = ((qh & (1u << j)) >> j) << 4;
            const uint8_t xh1 = ((qh & (1u << (j + 16))) >> (j + 12));
            const int32_t x0 = (int8_t)(((x[ib].qs[j] & 0x0F) | xh0) - 16);
            const int32_t x1 = (int8_t)(((x[ib].qs[j] >> 4) | xh1) - 16);
            sumi0 += x0 * y[ib].qs[j];
            sumi1 += x1 * y[ib].qs[j + 16];
        }
        sumf += (ck_h2f(x[ib].d) * ck_h2f(y[ib].d)) * (sumi0 + sumi1);
    }
    return sumf;
}

static float dot_q5_1(const ck_block_q5_1 *x, const ck_block_q8_1 *y, int64_t nb) {
    float sumf = 0;
    for (int64_t ib = 0; ib < nb; ib++) {
        uint32_t qh; memcpy(&qh, x[ib].qh, 4);
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; j++) {
            const uint8_t xh0 = ((qh >> j) << 4) & 0x10;
            const uint8_t xh1 = (qh >> (j + 12)) & 0x10;
            sumi0 += ((x[ib].qs[j] & 0x0F) | xh0) * y[ib].qs[j];
            sumi1 += ((x[ib].qs[j] >> 4) | xh1) * y[ib].qs[j + 16];
        }
        sumf += (ck_h2f(x[ib].d) * ck_h2f(y[ib].d)) * (sumi0 + sumi1) + ck_h2f(x[ib].m) * ck_h2f(y[ib].s);
    }
    return sumf;
}

static float dot_q8_0(const ck_block_q8_0 *x, const ck_block_q8_0 *y, int64_t nb) {
    float sumf = 0;
    for (int64_t ib = 0; ib < nb; ib++) {
        int sumi = 0;
        for (int j = 0; j < 32; j++) sumi += x[ib].qs[j] * y[ib].qs[j];
        sumf += sumi * (ck_h2f(x[ib].d) * ck_h2f(y[ib].d));
    }
    return sumf;
}

// K-quants: per super-block d*dy*sum_j(sc_j * dot_j) - dmin*dy*sum_j(m_j * bsum_j), as ggml's scalar path.
static float dot_q4_K(const ck_block_q4_K *x, const ck_block_q8_K *y, int64_t nb) {
    float sumf = 0;
    for (int64_t i = 0; i < nb; i++) {
        int32_t sumi = 0, summ = 0;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            ck_scale_min_k4(j, x[i].scales, &sc, &m);
            const uint8_t *q = x[i].qs + (j / 2) * 32;
            const int8_t *a = y[i].qs + j * 32;
            int32_t s = 0;
            for (int l = 0; l < 32; l++) s += ((j & 1) ? (q[l] >> 4) : (q[l] & 0xF)) * a[l];
            sumi += sc * s;
            summ += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        }
        const float d = ck_h2f(x[i].d) * y[i].d;
        const float dmin = ck_h2f(x[i].dmin) * y[i].d;
        sumf += d * sumi - dmin * summ;
    }
    return sumf;
}

static float dot_q5_K(const ck_block_q5_K *x, const ck_block_q8_K *y, int64_t nb) {
    float sumf = 0;
    for (int64_t i = 0; i < nb; i++) {
        int32_t sumi = 0, summ = 0;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            ck_scale_min_k4(j, x[i].scales, &sc, &m);
            const uint8_t *q = x[i].qs + (j / 2) * 32;
            const int8_t *a = y[i].qs + j * 32;
            int32_t s = 0;
            for (int l = 0; l < 32; l++) {
                const int lo = (j & 1) ? (q[l] >> 4) : (q[l] & 0xF);
                const int hi = (x[i].qh[l] >> j) & 1;
                s += (lo + 16 * hi) * a[l];
            }
            sumi += sc * s;
            summ += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        }
        const float d = ck_h2f(x[i].d) * y[i].d;
        const float dmin = ck_h2f(x[i].dmin) * y[i].d;
        sumf += d * sumi - dmin * summ;
    }
    return sumf;
}

static float dot_q6_K(const ck_block_q6_K *x, const ck_block_q8_K *y, int64_t nb) {
    float sumf = 0;
    for (int64_t i = 0; i < nb; i++) {
        int8_t q[256];
        const uint8_t *ql = x[i].ql, *qh = x[i].qh;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                q[n + l + 0] = (int8_t)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                q[n + l + 32] = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                q[n + l + 64] = (int8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                q[n + l + 96] = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            }
            ql += 64; qh += 32;
        }
        int32_t sumi = 0;
        for (int k = 0; k < 16; k++) {
            int32_t s = 0;
            for (int l = 0; l < 16; l++) s += q[k * 16 + l] * y[i].qs[k * 16 + l];
            sumi += x[i].scales[k] * s;
        }
        sumf += ck_h2f(x[i].d) * y[i].d * sumi;
    }
    return sumf;
}

float ck_scalar_vec_dot(int type, int64_t n, const void *w, const void *x) {
    switch (type) {
    case CK_F32: {
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += (double)((const float *)w)[i] * ((const float *)x)[i];
        return (float)s;
    }
    case CK_F16: {
        double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += (double)(ck_h2f(((const uint16_t *)w)[i]) * ck_h2f(((const uint16_t *)x)[i]));
        return (float)s;
    }
    case CK_BF16: {
        double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += (double)(ck_bf2f(((const uint16_t *)w)[i]) * ck_bf2f(((const uint16_t *)x)[i]));
        return (float)s;
    }
    case CK_Q4_0: return dot_q4_0(w, x, n / CK_QK);
    case CK_Q4_1: return dot_q4_1(w, x, n / CK_QK);
    case CK_Q5_0: return dot_q5_0(w, x, n / CK_QK);
    case CK_Q5_1: return dot_q5_1(w, x, n / CK_QK);
    case CK_Q8_0: return dot_q8_0(w, x, n / CK_QK);
    case CK_Q4_K: return dot_q4_K(w, x, n / CK_QK_K);
    case CK_Q5_K: return dot_q5_K(w, x, n / CK_QK_K);
    case CK_Q6_K: return dot_q6_K(w, x, n / CK_QK_K);
    default: return 0.0f;
    }
}
