// x86 tile kernels, written once and compiled per kernel family. The including file defines
// CK_FAMILY_FN (the exported table function), CK_TARGET (a target attribute string),
// CK_VNNI (1: use vpdpbusd/vpdpwssd) and CK_AVX512 (1: AVX-512BW/VL mask instructions available).
// All vectors are 256-bit: a 32-element block is one register; the AVX-512 families gain
// 32 registers, mask moves and VNNI's fused integer dot products.
#include "ck_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target(CK_TARGET))), apply_to = function)

#define CK_AI static inline __attribute__((always_inline))

CK_AI float h2f(ck_half h) { return _cvtsh_ss(h); }

CK_AI float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// acc + sum of 4 adjacent u8*s8 products per int32 lane.
CK_AI __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
#if CK_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

// acc + sum of 2 adjacent s16*s16 products per int32 lane.
CK_AI __m256i dot_s16(__m256i acc, __m256i a, __m256i b) {
#if CK_VNNI
    return _mm256_dpwssd_epi32(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

// 16 packed bytes of nibbles -> 32 bytes: low nibbles first, then high nibbles (ggml's element order).
CK_AI __m256i unpack_nibbles(const uint8_t *q) {
    // one broadcast load, then a per-lane shift: the upper 128 bits take the high nibbles
    const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)q));
    return _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F));
}

// An f16 scale broadcast to 8 floats (broadcast load + one conversion, no scalar round trip).
CK_AI __m256 bcast_half(const ck_half *h) {
    return _mm256_cvtph_ps(_mm_set1_epi16((short)*h));
}

// Adjacent f16 pair (d, m) -> 8 x d and 8 x m.
CK_AI void bcast_half2(const ck_half *h, __m256 *d, __m256 *m) {
    uint32_t u; memcpy(&u, h, 4);
    const __m256 v = _mm256_cvtph_ps(_mm_set1_epi32((int)u));
    *d = _mm256_permute_ps(v, 0x00);
    *m = _mm256_permute_ps(v, 0x55);
}

// 32 bits -> 32 bytes, 0x10 where the bit is set.
CK_AI __m256i bits_to_0x10(const uint8_t *qh) {
    uint32_t b; memcpy(&b, qh, 4);
#if CK_AVX512
    return _mm256_maskz_mov_epi8(b, _mm256_set1_epi8(0x10));
#else
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                           0x0101010101010101, 0x0000000000000000);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)b), shuf);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
#endif
}

#ifndef CK_PF_DIST
#define CK_PF_DIST 4096   // bytes ahead of the weight stream to prefetch
#endif
// A tile reads NR contiguous rows; prefetch that byte stream CK_PF_DIST ahead, `bytes` per block step.
// Every tile prefetches, batched ones too: a model larger than the last-level cache streams its
// weights from memory once per step, and without it each row group of a batched step waited on
// memory (measured on a 2-core EPYC: batched Q4_1 tiles 10-40 % faster over 35 MB of weights, the
// 12-sequence SmolLM2 step 37 -> 34 ms). For the second and later token groups of a row group the
// lines are already cached and the hints cost a load slot each.
#define PREFETCH_TILE(pf, bytes) do { \
        for (size_t k_ = 0; k_ < (bytes); k_ += 64) _mm_prefetch((pf) + k_, _MM_HINT_T0); \
        (pf) += (bytes); \
    } while (0)
#define W_BLOCK(T, r, b) ((const T *)(w + (size_t)(r) * wrs) + (b))
#define X_BLOCK(T, t, b) ((const T *)(x + (size_t)(t) * xrs) + (b))

#define TILE_BEGIN \
    __m256 acc[CK_TILE_R][CK_TILE_T]; \
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) acc[r][t] = _mm256_setzero_ps();

#define TILE_END(extra) \
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) out[t * os + r] = hsum(acc[r][t]) + (extra);

// ---- Q8_0 x Q8_0 --------------------------------------------------------------------------
CK_AI void q8_0_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *x, size_t xrs,
                  float *out, int64_t os, const int NR, const int NT) {
    const int64_t nb = n / CK_QK;
    TILE_BEGIN
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int64_t b = 0; b < nb; b++) {
        PREFETCH_TILE(pf, NR * sizeof(ck_block_q8_0));
        __m256i xv[CK_TILE_T]; __m256 dx[CK_TILE_T];
        for (int t = 0; t < NT; t++) {
            const ck_block_q8_0 *xb = X_BLOCK(ck_block_q8_0, t, b);
            xv[t] = _mm256_loadu_si256((const __m256i *)xb->qs);
            dx[t] = bcast_half(&xb->d);
        }
        for (int r = 0; r < NR; r++) {
            const ck_block_q8_0 *wb = W_BLOCK(ck_block_q8_0, r, b);
            const __m256i wv = _mm256_loadu_si256((const __m256i *)wb->qs);
            const __m256i au = _mm256_sign_epi8(wv, wv);
            const __m256 dw = bcast_half(&wb->d);
            for (int t = 0; t < NT; t++) {
                const __m256i p = dot_u8s8(_mm256_setzero_si256(), au, _mm256_sign_epi8(xv[t], wv));
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_mul_ps(dw, dx[t]), acc[r][t]);
            }
        }
    }
    TILE_END(0.0f)
}

// ---- the half group: two rows per register ---------------------------------------------------
// A batch of 8k + 1..4 tokens ends in a group that would leave half the lanes or more empty. That
// group is interleaved twice over (lanes 4..7 repeat lanes 0..3), and the kernels below give the
// lower 128 bits to one row and the upper 128 bits to the next: the same float steps per row and
// token as the full group's kernels (so the same figures), at half the steps.

// Row a's bytes q[0..15] in the lower 128 bits and row b's in the upper.
CK_AI __m256i pair_bytes(const uint8_t *qa, const uint8_t *qb) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)qa)),
                                   _mm_loadu_si128((const __m128i *)qb), 1);
}

// Two rows' adjacent f16 pairs (d, m) -> (4 x d_a, 4 x d_b) and (4 x m_a, 4 x m_b).
CK_AI void pair_half2(const ck_half *ha, const ck_half *hb, __m256 *d, __m256 *m) {
    uint32_t ua, ub;
    memcpy(&ua, ha, 4); memcpy(&ub, hb, 4);
    const __m256 v = _mm256_cvtph_ps(_mm_set_epi32((int)ub, (int)ub, (int)ua, (int)ua));
    *d = _mm256_permute_ps(v, 0x00);
    *m = _mm256_permute_ps(v, 0x55);
}

// The 8 weight quads of a block pair: quad j of row a in every int32 lane of the lower half, of row b
// in the upper (one in-lane shuffle each).
#define PAIR_QUADS(wa, wb, q) do { \
        const __m256i lo_ = pair_bytes((wa)->qs, (wb)->qs), hi_ = pair_bytes((wa)->qs + 16, (wb)->qs + 16); \
        (q)[0] = _mm256_shuffle_epi32(lo_, 0x00); (q)[1] = _mm256_shuffle_epi32(lo_, 0x55); \
        (q)[2] = _mm256_shuffle_epi32(lo_, 0xAA); (q)[3] = _mm256_shuffle_epi32(lo_, 0xFF); \
        (q)[4] = _mm256_shuffle_epi32(hi_, 0x00); (q)[5] = _mm256_shuffle_epi32(hi_, 0x55); \
        (q)[6] = _mm256_shuffle_epi32(hi_, 0xAA); (q)[7] = _mm256_shuffle_epi32(hi_, 0xFF); \
    } while (0)
// Quad j of a 16-byte half, in every int32 lane of each 128-bit half (j: 0..3, an immediate).
#define QUAD(v, j) _mm256_shuffle_epi32((v), (j) * 0x55)

// A unit's weight quads (quad j in q[j]) and its (d, m) as floats in the same lanes: row u in every
// lane, or (HALF) rows 2u and 2u + 1 (2u again when it is the odd last) one per 128-bit half.
CK_AI void unit_quads(const uint8_t *w, size_t wrs, int u, int NR, int64_t b, const int HALF,
                      __m256i q[8], __m256 *d, __m256 *m) {
    if (HALF) {
        const ck_block_u8 *wa = W_BLOCK(ck_block_u8, 2 * u, b);
        const ck_block_u8 *wb = W_BLOCK(ck_block_u8, 2 * u + 1 < NR ? 2 * u + 1 : 2 * u, b);
        PAIR_QUADS(wa, wb, q);
        pair_half2(&wa->d, &wb->d, d, m);
    } else {
        const ck_block_u8 *wb = W_BLOCK(ck_block_u8, u, b);
        int32_t wq[8];
        memcpy(wq, wb->qs, 32);
        for (int j = 0; j < 8; j++) q[j] = _mm256_set1_epi32(wq[j]);
        bcast_half2(&wb->d, d, m);
    }
}

// A unit's lanes to out: token t of row u in lane t, or (HALF) of row 2u in lane t and of row 2u + 1
// in lane 4 + t.
CK_AI void unit_store(__m256 v, int u, int NR, int nt, float *out, int64_t os, const int HALF) {
    float o[8];
    _mm256_storeu_ps(o, v);
    const int r = HALF ? 2 * u : u;
    for (int t = 0; t < nt; t++) out[t * os + r] = o[t];
    if (HALF && r + 1 < NR) for (int t = 0; t < nt; t++) out[t * os + r + 1] = o[4 + t];
}

// ggml's lanes, register j holding lane j of each token, reduced in hsum's order: (0+4, 1+5, 2+6,
// 3+7), then (0+4)+(2+6) and (1+5)+(3+7), then their sum.
CK_AI __m256 lanes_hsum(const __m256 acc[8]) {
    const __m256 s04 = _mm256_add_ps(acc[4], acc[0]), s15 = _mm256_add_ps(acc[5], acc[1]);
    const __m256 s26 = _mm256_add_ps(acc[6], acc[2]), s37 = _mm256_add_ps(acc[7], acc[3]);
    return _mm256_add_ps(_mm256_add_ps(s04, s26), _mm256_add_ps(s15, s37));
}

// The interleaved GEMM for Q8_0 in ggml's x86 order (layout in ck_internal.h; the sums at byte 288
// are not read): lane j of ggml's 8 per row and token sums |w| * sign(x, w) over values 4j..4j+3,
// times d_w * d_x, block by block; register j here holds lane j for 8 tokens, reduced at the end
// in hsum's order: the same floats as q8_0_k. w: NR rows of ck_block_q8_0 as stored (no unpacking).
CK_AI void gemm8_q8_0_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *xi, int nt,
                        float *out, int64_t os, const int NR) {
    const int64_t nb = n / CK_QK;
    for (int r = 0; r < NR; r++) {
        __m256 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
        const char *pf = (const char *)W_BLOCK(ck_block_q8_0, r, 0) + CK_PF_DIST;
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *xb = xi + b * CK_X8_BLOCK;
            const ck_block_q8_0 *wb = W_BLOCK(ck_block_q8_0, r, b);
            if ((b & 1) == 0) { _mm_prefetch(pf, _MM_HINT_T0); pf += 2 * sizeof(ck_block_q8_0); }
            const __m256 d = _mm256_mul_ps(bcast_half(&wb->d), _mm256_loadu_ps((const float *)(xb + CK_X8_D)));
            const __m256i wv = _mm256_loadu_si256((const __m256i *)wb->qs);
            int32_t ws[8], wa[8];
            _mm256_storeu_si256((__m256i *)ws, wv);
            _mm256_storeu_si256((__m256i *)wa, _mm256_sign_epi8(wv, wv));
            for (int j = 0; j < 8; j++) {
                const __m256i xj = _mm256_loadu_si256((const __m256i *)(xb + 32 * j));
                const __m256i lane = dot_u8s8(_mm256_setzero_si256(), _mm256_set1_epi32(wa[j]),
                                              _mm256_sign_epi8(xj, _mm256_set1_epi32(ws[j])));
                acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lane), d, acc[j]);
            }
        }
        unit_store(lanes_hsum(acc), r, NR, nt, out, os, 0);
    }
}

// ---- Q4_0 / Q5_0 x Q8_0 --------------------------------------------------------------------
// The order of ggml's scalar formula: per block an exact integer dot product (the offset 8 / 16
// folded in as -offset * sum(x)), then acc = fma(isum, d_w * d_x, acc), one float per (row, token).
// The GEMV tile here and the token-interleaved GEMM below both compute exactly that, so a row's
// result does not depend on the kernel, the batch it came in or its place in it.

// [sum a, sum b, sum c, sum d] of four 8-lane int32 vectors (integer: exact in any order).
CK_AI __m128i hsum4_epi32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

CK_AI void qx_0_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *x, size_t xrs,
                  float *out, int64_t os, const int NR, const int NT, const int Q5) {
    const int64_t nb = n / CK_QK;
    const __m256i off = _mm256_set1_epi8(Q5 ? 16 : 8);
    __m128 acc[CK_TILE_T];   // lane r: row r with token t
    for (int t = 0; t < NT; t++) acc[t] = _mm_setzero_ps();
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int64_t b = 0; b < nb; b++) {
        PREFETCH_TILE(pf, NR * (Q5 ? sizeof(ck_block_q5_0) : sizeof(ck_block_q4_0)));
        __m256i q[CK_TILE_R];
        short dh[CK_TILE_R] = {0, 0, 0, 0};
        for (int r = 0; r < NR; r++) {
            if (Q5) {
                const ck_block_q5_0 *wb = W_BLOCK(ck_block_q5_0, r, b);
                q[r] = _mm256_or_si256(unpack_nibbles(wb->qs), bits_to_0x10(wb->qh));
                dh[r] = (short)wb->d;
            } else {
                const ck_block_q4_0 *wb = W_BLOCK(ck_block_q4_0, r, b);
                q[r] = unpack_nibbles(wb->qs);
                dh[r] = (short)wb->d;
            }
        }
        const __m128 dw = _mm_cvtph_ps(_mm_setr_epi16(dh[0], dh[1], dh[2], dh[3], 0, 0, 0, 0));
        for (int t = 0; t < NT; t++) {
            const ck_block_q8_0 *xb = X_BLOCK(ck_block_q8_0, t, b);
            const __m256i xv = _mm256_loadu_si256((const __m256i *)xb->qs);
            const __m256i negoff = _mm256_sub_epi32(_mm256_setzero_si256(), dot_u8s8(_mm256_setzero_si256(), off, xv));
            __m256i p[CK_TILE_R];
            for (int r = 0; r < CK_TILE_R; r++)
                p[r] = r < NR ? dot_u8s8(negoff, q[r], xv) : _mm256_setzero_si256();
            const __m128 dx = _mm_cvtph_ps(_mm_set1_epi16((short)xb->d));
            acc[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(hsum4_epi32(p[0], p[1], p[2], p[3])), _mm_mul_ps(dw, dx), acc[t]);
        }
    }
    for (int t = 0; t < NT; t++) {
        if (NR == 4) { _mm_storeu_ps(out + t * os, acc[t]); continue; }
        float v[4];
        _mm_storeu_ps(v, acc[t]);
        for (int r = 0; r < NR; r++) out[t * os + r] = v[r];
    }
}

// The token-interleaved GEMM for Q4_0 / Q5_0 (see ck_internal.h for the layout): each int32 lane
// is one of 8 tokens, so a row's 32-element block costs 8 multiply-adds against broadcast weight
// quads and one float step for all 8 tokens, where the tile above pays a float step per token.
// w: NR rows of ck_block_u8 (unpacked, values 0..15 / 0..31), urs bytes apart.
// HALF: a half group (see above): a unit is two rows, one per 128-bit half; else a unit is one row.
CK_AI void gemm_x0_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *xi, int nt,
                     float *out, int64_t os, const int NR, const int Q5, const int HALF) {
    const int64_t nb = n / CK_QK;
    const int NU = HALF ? (NR + 1) / 2 : NR;
    __m256 acc[CK_GEMM8_R];
    for (int u = 0; u < NU; u++) acc[u] = _mm256_setzero_ps();
#if !CK_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *xb = xi + b * CK_X8_BLOCK;
        const __m256 dx = _mm256_loadu_ps((const float *)(xb + CK_X8_D));
        const __m256i sx = _mm256_loadu_si256((const __m256i *)(xb + CK_X8_S));
        const __m256i negoff = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sx, Q5 ? 4 : 3));
        for (int u = 0; u < NU; u++) {
            __m256i q[8]; __m256 dw, mw;
            unit_quads(w, wrs, u, NR, b, HALF, q, &dw, &mw);
#if CK_VNNI
            // four independent chains: one chain of eight waits on vpdpbusd's latency
            __m256i c4[4] = {negoff, _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
            for (int j = 0; j < 8; j++)
                c4[j & 3] = _mm256_dpbusd_epi32(c4[j & 3], q[j], _mm256_loadu_si256((const __m256i *)(xb + 32 * j)));
            const __m256i is = _mm256_add_epi32(_mm256_add_epi32(c4[0], c4[1]), _mm256_add_epi32(c4[2], c4[3]));
#else
            // four u8*s8 pair sums stay within int16: 4 * 2 * 31 * 127 < 32768
            __m256i s[2];
            for (int h = 0; h < 2; h++) {
                __m256i v = _mm256_maddubs_epi16(q[4 * h], _mm256_loadu_si256((const __m256i *)(xb + 128 * h)));
                for (int j = 1; j < 4; j++)
                    v = _mm256_add_epi16(v, _mm256_maddubs_epi16(q[4 * h + j],
                                                                 _mm256_loadu_si256((const __m256i *)(xb + 128 * h + 32 * j))));
                s[h] = _mm256_madd_epi16(v, ones);
            }
            const __m256i is = _mm256_add_epi32(negoff, _mm256_add_epi32(s[0], s[1]));
#endif
            acc[u] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is), _mm256_mul_ps(dw, dx), acc[u]);
        }
    }
    for (int u = 0; u < NU; u++) unit_store(acc[u], u, NR, nt, out, os, HALF);
}

// ---- Q4_1 / Q5_1 x Q8_1: d_w*d_x*sumi + m_w*s_x ---------------------------------------------
// ggml's x86 order: the d_w*d_x*sumi terms go into one 8-lane accumulator (reduced at the end),
// the m_w*s_x terms into a separate scalar sum (fused multiply-add per block, as GCC contracts
// ggml's `summs += m*s`), added last.
CK_AI void qx_1_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *x, size_t xrs,
                  float *out, int64_t os, const int NR, const int NT, const int Q5) {
    const int64_t nb = n / CK_QK;
    TILE_BEGIN
    __m128 summs[CK_TILE_R];   // lane t: the scalar m*s sum of row r with token t
    for (int r = 0; r < NR; r++) summs[r] = _mm_setzero_ps();
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int64_t b = 0; b < nb; b++) {
        PREFETCH_TILE(pf, NR * (Q5 ? sizeof(ck_block_q5_1) : sizeof(ck_block_q4_1)));
        __m256i xv[CK_TILE_T]; __m256 dx[CK_TILE_T];
        uint16_t sh[4] = {0, 0, 0, 0};
        for (int t = 0; t < NT; t++) {
            const ck_block_q8_1 *xb = X_BLOCK(ck_block_q8_1, t, b);
            xv[t] = _mm256_loadu_si256((const __m256i *)xb->qs);
            dx[t] = bcast_half(&xb->d);
            sh[t] = xb->s;
        }
        uint64_t sh64; memcpy(&sh64, sh, 8);
        const __m128 sx = _mm_cvtph_ps(_mm_cvtsi64_si128((long long)sh64));
        for (int r = 0; r < NR; r++) {
            // d and m are adjacent in both block types: one 32-bit broadcast and one conversion
            __m256i q; __m256 dw, mw;
            if (Q5) {
                const ck_block_q5_1 *wb = W_BLOCK(ck_block_q5_1, r, b);
                q = _mm256_or_si256(unpack_nibbles(wb->qs), bits_to_0x10(wb->qh));
                bcast_half2(&wb->d, &dw, &mw);
            } else {
                const ck_block_q4_1 *wb = W_BLOCK(ck_block_q4_1, r, b);
                q = unpack_nibbles(wb->qs);
                bcast_half2(&wb->d, &dw, &mw);
            }
            summs[r] = _mm_fmadd_ps(_mm256_castps256_ps128(mw), sx, summs[r]);
            for (int t = 0; t < NT; t++) {
                const __m256i p = dot_u8s8(_mm256_setzero_si256(), q, xv[t]);
                acc[r][t] = _mm256_fmadd_ps(_mm256_mul_ps(dw, dx[t]), _mm256_cvtepi32_ps(p), acc[r][t]);
            }
        }
    }
    for (int r = 0; r < NR; r++) {
        float sm[4];
        _mm_storeu_ps(sm, summs[r]);
        for (int t = 0; t < NT; t++) out[t * os + r] = hsum(acc[r][t]) + sm[t];
    }
}

// The interleaved GEMM for Q4_1 / Q5_1 in ggml's x86 order (layout in ck_internal.h; the floats at
// byte 288 are the tokens' s). ggml keeps 8 float lanes per row and token, lane j summing the
// integer dot products of values 4j..4j+3 times d_w * d_x block by block; here register j holds
// lane j for 8 tokens, so one multiply-add serves 8 tokens where the tiles above serve one. The
// lanes are reduced in ggml's order at the end, then the m_w * s_x sum is added: the same floats
// as qx_1_k. w: NR rows of ck_block_u8 (values 0..15 / 0..31, d and m). HALF: as gemm_x0_k.
CK_AI void gemm_x1_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *xi, int nt,
                     float *out, int64_t os, const int NR, const int HALF) {
    const int64_t nb = n / CK_QK;
    const int NU = HALF ? (NR + 1) / 2 : NR;
#if !CK_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    for (int u = 0; u < NU; u++) {
        __m256 acc[8], accm = _mm256_setzero_ps();
        for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *xb = xi + b * CK_X8_BLOCK;
            __m256i q[8]; __m256 dw, mw;
            unit_quads(w, wrs, u, NR, b, HALF, q, &dw, &mw);
            const __m256 d = _mm256_mul_ps(dw, _mm256_loadu_ps((const float *)(xb + CK_X8_D)));
            for (int j = 0; j < 8; j++) {
                const __m256i xj = _mm256_loadu_si256((const __m256i *)(xb + 32 * j));
#if CK_VNNI
                const __m256i lane = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q[j], xj);
#else
                const __m256i lane = _mm256_madd_epi16(_mm256_maddubs_epi16(q[j], xj), ones);
#endif
                acc[j] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(lane), acc[j]);
            }
            accm = _mm256_fmadd_ps(mw, _mm256_loadu_ps((const float *)(xb + CK_X8_S)), accm);
        }
        unit_store(_mm256_add_ps(lanes_hsum(acc), accm), u, NR, nt, out, os, HALF);
    }
}

// gemm8_q8_0_k over a half group.
CK_AI void gemm4x2_q8_0_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *xi, int nt,
                          float *out, int64_t os, const int NR) {
    const int64_t nb = n / CK_QK;
    for (int r = 0; r < NR; r += 2) {
        const int two = r + 1 < NR;
        __m256 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *xb = xi + b * CK_X8_BLOCK;
            const ck_block_q8_0 *wa = W_BLOCK(ck_block_q8_0, r, b), *wb = W_BLOCK(ck_block_q8_0, two ? r + 1 : r, b);
            const __m256 dw = _mm256_cvtph_ps(_mm_unpacklo_epi64(_mm_set1_epi16((short)wa->d), _mm_set1_epi16((short)wb->d)));
            const __m256 d = _mm256_mul_ps(dw, _mm256_loadu_ps((const float *)(xb + CK_X8_D)));
            const __m256i lo = pair_bytes((const uint8_t *)wa->qs, (const uint8_t *)wb->qs);
            const __m256i hi = pair_bytes((const uint8_t *)wa->qs + 16, (const uint8_t *)wb->qs + 16);
            const __m256i alo = _mm256_sign_epi8(lo, lo), ahi = _mm256_sign_epi8(hi, hi);
#define Q8_PAIR_STEP(j, s_, a_, k) do { \
                const __m256i xj = _mm256_loadu_si256((const __m256i *)(xb + 32 * (j))); \
                const __m256i lane = dot_u8s8(_mm256_setzero_si256(), QUAD(a_, k), _mm256_sign_epi8(xj, QUAD(s_, k))); \
                acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lane), d, acc[j]); \
            } while (0)
            Q8_PAIR_STEP(0, lo, alo, 0); Q8_PAIR_STEP(1, lo, alo, 1); Q8_PAIR_STEP(2, lo, alo, 2); Q8_PAIR_STEP(3, lo, alo, 3);
            Q8_PAIR_STEP(4, hi, ahi, 0); Q8_PAIR_STEP(5, hi, ahi, 1); Q8_PAIR_STEP(6, hi, ahi, 2); Q8_PAIR_STEP(7, hi, ahi, 3);
#undef Q8_PAIR_STEP
        }
        unit_store(lanes_hsum(acc), r / 2, NR, nt, out, os, 1);
    }
}

// ---- K-quants x Q8_K ------------------------------------------------------------------------
// Q4_K/Q5_K 12-byte scales -> bytes 0..7 scales, 8..15 mins.
CK_AI __m128i unpack_scales_k4(const uint8_t *scales) {
    uint32_t u[4];
    memcpy(u, scales, 12);
    const uint32_t k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
    u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);
    const uint32_t mins_lo = u[1] & k1;
    u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);
    u[2] = mins_lo;
    u[0] &= k1;
    return _mm_loadu_si128((const __m128i *)u);
}

// PRE: w holds ck_block_u8k rows (scales unpacked, values one per byte, low half then high half
// of each 64), unpacked once for all token groups.
CK_AI void qx_K_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *x, size_t xrs,
                  float *out, int64_t os, const int NR, const int NT, const int Q5, const int PRE) {
    const int64_t nb = n / CK_QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m10 = _mm256_set1_epi8(0x10);
    TILE_BEGIN
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int64_t b = 0; b < nb; b++) {
        if (!PRE) PREFETCH_TILE(pf, NR * (Q5 ? sizeof(ck_block_q5_K) : sizeof(ck_block_q4_K)));
        __m128i bs8[CK_TILE_T];
        for (int t = 0; t < NT; t++) {
            const ck_block_q8_K *xb = X_BLOCK(ck_block_q8_K, t, b);
            bs8[t] = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)xb->bsums),
                                    _mm_loadu_si128((const __m128i *)(xb->bsums + 8)));
        }
        for (int r = 0; r < NR; r++) {
            const uint8_t *qs; const uint8_t *scales = NULL; __m256i hbits = _mm256_setzero_si256();
            float d, dmin;
            if (PRE) {
                const ck_block_u8k *wb = W_BLOCK(ck_block_u8k, r, b);
                qs = wb->q; d = wb->d; dmin = wb->dmin;
            } else if (Q5) {
                const ck_block_q5_K *wb = W_BLOCK(ck_block_q5_K, r, b);
                qs = wb->qs; scales = wb->scales; d = h2f(wb->d); dmin = h2f(wb->dmin);
                hbits = _mm256_loadu_si256((const __m256i *)wb->qh);
            } else {
                const ck_block_q4_K *wb = W_BLOCK(ck_block_q4_K, r, b);
                qs = wb->qs; scales = wb->scales; d = h2f(wb->d); dmin = h2f(wb->dmin);
            }
            const __m128i sm = PRE ? _mm_loadu_si128((const __m128i *)W_BLOCK(ck_block_u8k, r, b)->sc)
                                   : unpack_scales_k4(scales);
            uint8_t sc[16];
            _mm_storeu_si128((__m128i *)sc, sm);
            const __m128i mins16 = _mm_cvtepu8_epi16(_mm_srli_si128(sm, 8));
            __m256i isum[CK_TILE_T];
            for (int t = 0; t < NT; t++) isum[t] = _mm256_setzero_si256();
            for (int c = 0; c < 4; c++) {
                __m256i lo, hi;
                if (PRE) {
                    lo = _mm256_loadu_si256((const __m256i *)(qs + 64 * c));
                    hi = _mm256_loadu_si256((const __m256i *)(qs + 64 * c + 32));
                } else {
                    const __m256i qv = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
                    lo = _mm256_and_si256(qv, m4);
                    hi = _mm256_and_si256(_mm256_srli_epi16(qv, 4), m4);
                }
                if (Q5 && !PRE) {
                    lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hbits, 4), m10));
                    hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hbits, 3), m10));
                    hbits = _mm256_srli_epi16(hbits, 2);
                }
                const __m256i s_lo = _mm256_set1_epi16(sc[2 * c]), s_hi = _mm256_set1_epi16(sc[2 * c + 1]);
                for (int t = 0; t < NT; t++) {
                    const int8_t *xq = X_BLOCK(ck_block_q8_K, t, b)->qs + 64 * c;
                    const __m256i p_lo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)xq));
                    const __m256i p_hi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(xq + 32)));
                    isum[t] = dot_s16(isum[t], p_lo, s_lo);
                    isum[t] = dot_s16(isum[t], p_hi, s_hi);
                }
            }
            for (int t = 0; t < NT; t++) {
                const float dy = X_BLOCK(ck_block_q8_K, t, b)->d;
                const __m256i mprod = _mm256_zextsi128_si256(_mm_madd_epi16(mins16, bs8[t]));
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * dy), acc[r][t]);
                acc[r][t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mprod), _mm256_set1_ps(dmin * dy), acc[r][t]);
            }
        }
    }
    TILE_END(0.0f)
}

// The 4 x 32 six-bit values of half h of a Q6_K block, as the kernel reads them.
CK_AI void q6_values(const ck_block_q6_K *wb, int h, __m256i m4, __m256i m30, __m256i q[4]) {
    const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(wb->ql + 64 * h));
    const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(wb->ql + 64 * h + 32));
    const __m256i qh = _mm256_loadu_si256((const __m256i *)(wb->qh + 32 * h));
    q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
    q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
}

// PRE: w holds ck_block_u8k6 rows (values 0..63 one per byte, in the order the kernel reads them).
CK_AI void q6_K_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *x, size_t xrs,
                  float *out, int64_t os, const int NR, const int NT, const int PRE) {
    const int64_t nb = n / CK_QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    TILE_BEGIN
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int64_t b = 0; b < nb; b++) {
        if (!PRE) PREFETCH_TILE(pf, NR * sizeof(ck_block_q6_K));
        for (int r = 0; r < NR; r++) {
            const ck_block_q6_K *wb = W_BLOCK(ck_block_q6_K, r, b);
            const ck_block_u8k6 *ub = W_BLOCK(ck_block_u8k6, r, b);
            const __m128i sc8 = _mm_loadu_si128((const __m128i *)(PRE ? ub->scales : wb->scales));
            const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
            const __m256i sc_m32 = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(sc16, 5));
            const float d = PRE ? ub->d : h2f(wb->d);
            __m256i isum[CK_TILE_T];
            for (int t = 0; t < NT; t++) {
                const ck_block_q8_K *xb = X_BLOCK(ck_block_q8_K, t, b);
                // the -32 offset: -32 * sum_k sc[k] * bsums[k]
                isum[t] = dot_s16(_mm256_setzero_si256(), sc_m32, _mm256_loadu_si256((const __m256i *)xb->bsums));
            }
            for (int h = 0; h < 2; h++) {
                __m256i q[4];
                if (PRE) {
                    for (int k = 0; k < 4; k++) q[k] = _mm256_loadu_si256((const __m256i *)(ub->q + 128 * h + 32 * k));
                } else {
                    q6_values(wb, h, m4, m30, q);
                }
                for (int k = 0; k < 4; k++) {
                    const int g = 4 * h + k;   // 32-element group; scales 2g (first 16) and 2g+1
                    const __m128i shuf = _mm_set_epi8(2 * g + 1, 2 * g + 1, 2 * g + 1, 2 * g + 1, 2 * g + 1, 2 * g + 1,
                                                      2 * g + 1, 2 * g + 1, 2 * g, 2 * g, 2 * g, 2 * g, 2 * g, 2 * g,
                                                      2 * g, 2 * g);
                    const __m256i s = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, shuf));
                    for (int t = 0; t < NT; t++) {
                        const int8_t *xq = X_BLOCK(ck_block_q8_K, t, b)->qs + 32 * g;
                        const __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)xq));
                        isum[t] = dot_s16(isum[t], p, s);
                    }
                }
            }
            for (int t = 0; t < NT; t++) {
                const float dy = X_BLOCK(ck_block_q8_K, t, b)->d;
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * dy), acc[r][t]);
            }
        }
    }
    TILE_END(0.0f)
}

// ---- F16 / BF16 / F32 ----------------------------------------------------------------------
CK_AI __m256 load8(int type, const uint8_t *p, int64_t i) {
    if (type == CK_F32) return _mm256_loadu_ps((const float *)p + i);
    const __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
    if (type == CK_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

CK_AI float load1(int type, const uint8_t *p, int64_t i) {
    if (type == CK_F32) return ((const float *)p)[i];
    if (type == CK_F16) return h2f(((const uint16_t *)p)[i]);
    return ck_bf2f(((const uint16_t *)p)[i]);
}

CK_AI void fx_k(int64_t n, const uint8_t *w, size_t wrs, const uint8_t *x, size_t xrs,
                float *out, int64_t os, const int NR, const int NT, const int type) {
    TILE_BEGIN
    int64_t i = 0;
    const char *pf = (const char *)w + CK_PF_DIST;
    for (; i + 8 <= n; i += 8) {
        if (NR * wrs > 8192) PREFETCH_TILE(pf, NR * (type == CK_F32 ? 32 : 16));
        __m256 xv[CK_TILE_T];
        for (int t = 0; t < NT; t++) xv[t] = load8(type, x + t * xrs, i);
        for (int r = 0; r < NR; r++) {
            const __m256 wv = load8(type, w + r * wrs, i);
            for (int t = 0; t < NT; t++) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) {
        float s = hsum(acc[r][t]);
        for (int64_t j = i; j < n; j++) s += load1(type, w + r * wrs, j) * load1(type, x + t * xrs, j);
        out[t * os + r] = s;
    }
}

// ---- tile entry points: one instantiation per (rows, tokens) shape --------------------------
#define CK_ARGS int64_t n, const uint8_t *w, size_t wrs, int nr, const uint8_t *x, size_t xrs, int nt, float *out, int64_t os
#define CK_SHAPES(CALL) \
    switch (nr * 8 + nt) { \
    case 9: CALL(1, 1); break; case 10: CALL(1, 2); break; case 11: CALL(1, 3); break; case 12: CALL(1, 4); break; \
    case 17: CALL(2, 1); break; case 18: CALL(2, 2); break; case 19: CALL(2, 3); break; case 20: CALL(2, 4); break; \
    case 25: CALL(3, 1); break; case 26: CALL(3, 2); break; case 27: CALL(3, 3); break; case 28: CALL(3, 4); break; \
    case 33: CALL(4, 1); break; case 34: CALL(4, 2); break; case 35: CALL(4, 3); break; case 36: CALL(4, 4); break; \
    default: break; \
    }

#define CALL_Q8_0(R, T) q8_0_k(n, w, wrs, x, xrs, out, os, R, T)
#define CALL_Q4_0(R, T) qx_0_k(n, w, wrs, x, xrs, out, os, R, T, 0)
#define CALL_Q5_0(R, T) qx_0_k(n, w, wrs, x, xrs, out, os, R, T, 1)
#define CALL_Q4_1(R, T) qx_1_k(n, w, wrs, x, xrs, out, os, R, T, 0)
#define CALL_Q5_1(R, T) qx_1_k(n, w, wrs, x, xrs, out, os, R, T, 1)
#define CALL_Q4_K(R, T) qx_K_k(n, w, wrs, x, xrs, out, os, R, T, 0, 0)
#define CALL_Q5_K(R, T) qx_K_k(n, w, wrs, x, xrs, out, os, R, T, 1, 0)
#define CALL_Q6_K(R, T) q6_K_k(n, w, wrs, x, xrs, out, os, R, T, 0)
#define CALL_U_K(R, T) qx_K_k(n, w, wrs, x, xrs, out, os, R, T, 0, 1)
#define CALL_U6_K(R, T) q6_K_k(n, w, wrs, x, xrs, out, os, R, T, 1)
#define CALL_F32(R, T) fx_k(n, w, wrs, x, xrs, out, os, R, T, CK_F32)
#define CALL_F16(R, T) fx_k(n, w, wrs, x, xrs, out, os, R, T, CK_F16)
#define CALL_BF16(R, T) fx_k(n, w, wrs, x, xrs, out, os, R, T, CK_BF16)

static void tile_q8_0(CK_ARGS) { CK_SHAPES(CALL_Q8_0) }
static void tile_q4_0(CK_ARGS) { CK_SHAPES(CALL_Q4_0) }
static void tile_q5_0(CK_ARGS) { CK_SHAPES(CALL_Q5_0) }
static void tile_q4_1(CK_ARGS) { CK_SHAPES(CALL_Q4_1) }
static void tile_q5_1(CK_ARGS) { CK_SHAPES(CALL_Q5_1) }
static void tile_u_K(CK_ARGS) { CK_SHAPES(CALL_U_K) }
static void tile_u6_K(CK_ARGS) { CK_SHAPES(CALL_U6_K) }

// ---- unpacking a row tile to ck_block_u8 --------------------------------------------------
// The row tile's nr rows lie one after another: unpacking is the step's first touch of these
// weights, so it prefetches them as the tiles do.
CK_AI void unpack_k(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst, const int type) {
    const int64_t nb = n / CK_QK;
    ck_block_u8 *o = (ck_block_u8 *)dst;
    const char *pf = (const char *)w + CK_PF_DIST;
    const size_t bb = type == CK_Q4_0 ? sizeof(ck_block_q4_0) : type == CK_Q5_0 ? sizeof(ck_block_q5_0)
                    : type == CK_Q4_1 ? sizeof(ck_block_q4_1) : sizeof(ck_block_q5_1);
    for (int r = 0; r < nr; r++) {
        for (int64_t b = 0; b < nb; b++, o++) {
            PREFETCH_TILE(pf, bb);
            __m256i q;
            switch (type) {
            case CK_Q4_0: { const ck_block_q4_0 *wb = W_BLOCK(ck_block_q4_0, r, b);
                q = unpack_nibbles(wb->qs); o->d = wb->d; o->m = 0; break; }
            case CK_Q5_0: { const ck_block_q5_0 *wb = W_BLOCK(ck_block_q5_0, r, b);
                q = _mm256_or_si256(unpack_nibbles(wb->qs), bits_to_0x10(wb->qh)); o->d = wb->d; o->m = 0; break; }
            case CK_Q4_1: { const ck_block_q4_1 *wb = W_BLOCK(ck_block_q4_1, r, b);
                q = unpack_nibbles(wb->qs); o->d = wb->d; o->m = wb->m; break; }
            default: { const ck_block_q5_1 *wb = W_BLOCK(ck_block_q5_1, r, b);
                q = _mm256_or_si256(unpack_nibbles(wb->qs), bits_to_0x10(wb->qh)); o->d = wb->d; o->m = wb->m; break; }
            }
            _mm256_storeu_si256((__m256i *)o->qs, q);
        }
    }
}
static void unpack_q4_0(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) { unpack_k(n, w, wrs, nr, dst, CK_Q4_0); }
static void unpack_q5_0(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) { unpack_k(n, w, wrs, nr, dst, CK_Q5_0); }
static void unpack_q4_1(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) { unpack_k(n, w, wrs, nr, dst, CK_Q4_1); }
static void unpack_q5_1(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) { unpack_k(n, w, wrs, nr, dst, CK_Q5_1); }

CK_AI void unpack_K(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst, const int Q5) {
    const int64_t nb = n / CK_QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m10 = _mm256_set1_epi8(0x10);
    ck_block_u8k *o = (ck_block_u8k *)dst;
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int r = 0; r < nr; r++) {
        for (int64_t b = 0; b < nb; b++, o++) {
            PREFETCH_TILE(pf, Q5 ? sizeof(ck_block_q5_K) : sizeof(ck_block_q4_K));
            const uint8_t *qs; __m256i hbits = _mm256_setzero_si256();
            if (Q5) {
                const ck_block_q5_K *wb = W_BLOCK(ck_block_q5_K, r, b);
                qs = wb->qs; o->d = h2f(wb->d); o->dmin = h2f(wb->dmin);
                _mm_storeu_si128((__m128i *)o->sc, unpack_scales_k4(wb->scales));
                hbits = _mm256_loadu_si256((const __m256i *)wb->qh);
            } else {
                const ck_block_q4_K *wb = W_BLOCK(ck_block_q4_K, r, b);
                qs = wb->qs; o->d = h2f(wb->d); o->dmin = h2f(wb->dmin);
                _mm_storeu_si128((__m128i *)o->sc, unpack_scales_k4(wb->scales));
            }
            for (int c = 0; c < 4; c++) {
                const __m256i qv = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
                __m256i lo = _mm256_and_si256(qv, m4);
                __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qv, 4), m4);
                if (Q5) {
                    lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hbits, 4), m10));
                    hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hbits, 3), m10));
                    hbits = _mm256_srli_epi16(hbits, 2);
                }
                _mm256_storeu_si256((__m256i *)(o->q + 64 * c), lo);
                _mm256_storeu_si256((__m256i *)(o->q + 64 * c + 32), hi);
            }
        }
    }
}
static void unpack_q4_K(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) { unpack_K(n, w, wrs, nr, dst, 0); }
static void unpack_q5_K(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) { unpack_K(n, w, wrs, nr, dst, 1); }

static void unpack_q6_K(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst) {
    const int64_t nb = n / CK_QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    ck_block_u8k6 *o = (ck_block_u8k6 *)dst;
    const char *pf = (const char *)w + CK_PF_DIST;
    for (int r = 0; r < nr; r++) {
        for (int64_t b = 0; b < nb; b++, o++) {
            PREFETCH_TILE(pf, sizeof(ck_block_q6_K));
            const ck_block_q6_K *wb = W_BLOCK(ck_block_q6_K, r, b);
            o->d = h2f(wb->d);
            memcpy(o->scales, wb->scales, 16);
            for (int h = 0; h < 2; h++) {
                __m256i q[4];
                q6_values(wb, h, m4, m30, q);
                for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i *)(o->q + 128 * h + 32 * k), q[k]);
            }
        }
    }
}
static void tile_q4_K(CK_ARGS) { CK_SHAPES(CALL_Q4_K) }
static void tile_q5_K(CK_ARGS) { CK_SHAPES(CALL_Q5_K) }
static void tile_q6_K(CK_ARGS) { CK_SHAPES(CALL_Q6_K) }
static void tile_f32(CK_ARGS) { CK_SHAPES(CALL_F32) }
static void tile_f16(CK_ARGS) { CK_SHAPES(CALL_F16) }
static void tile_bf16(CK_ARGS) { CK_SHAPES(CALL_BF16) }

#define CK_GEMM8_ARGS int64_t n, const uint8_t *w, size_t wrs, int nr, const uint8_t *xi, int nt, float *out, int64_t os
#define CK_GEMM8_SHAPES(CALL, H) \
    switch (nr) { case 1: CALL(1, H); break; case 2: CALL(2, H); break; case 3: CALL(3, H); break; case 4: CALL(4, H); break; default: break; }
// Each interleaved type's entry points for a full group (gemm8_*) and a half group (gemm4_*).
#define CK_GEMM_ENTRIES(sfx, CALL) \
    static void gemm8_##sfx(CK_GEMM8_ARGS) { CK_GEMM8_SHAPES(CALL, 0) } \
    static void gemm4_##sfx(CK_GEMM8_ARGS) { CK_GEMM8_SHAPES(CALL, 1) }
#define CALL_Q8_0(R, H) ((H) ? gemm4x2_q8_0_k(n, w, wrs, xi, nt, out, os, R) : gemm8_q8_0_k(n, w, wrs, xi, nt, out, os, R))
#define CALL_U4_0(R, H) gemm_x0_k(n, w, wrs, xi, nt, out, os, R, 0, H)
#define CALL_U5_0(R, H) gemm_x0_k(n, w, wrs, xi, nt, out, os, R, 1, H)
#define CALL_U_1(R, H) gemm_x1_k(n, w, wrs, xi, nt, out, os, R, H)
CK_GEMM_ENTRIES(q8_0, CALL_Q8_0)
CK_GEMM_ENTRIES(u4_0, CALL_U4_0)
CK_GEMM_ENTRIES(u5_0, CALL_U5_0)
CK_GEMM_ENTRIES(u_1, CALL_U_1)

#pragma clang attribute pop

ck_tile_fn CK_FAMILY_FN(int type) {
    switch (type) {
    case CK_Q8_0: return tile_q8_0;
    case CK_Q4_0: return tile_q4_0;
    case CK_Q5_0: return tile_q5_0;
    case CK_Q4_1: return tile_q4_1;
    case CK_Q5_1: return tile_q5_1;
    case CK_Q4_K: return tile_q4_K;
    case CK_Q5_K: return tile_q5_K;
    case CK_Q6_K: return tile_q6_K;
    case CK_F32: return tile_f32;
    case CK_F16: return tile_f16;
    case CK_BF16: return tile_bf16;
    case CK_UNPACKED(CK_Q4_K): case CK_UNPACKED(CK_Q5_K): return tile_u_K;
    case CK_UNPACKED(CK_Q6_K): return tile_u6_K;
    default: return NULL;
    }
}

ck_unpack_fn CK_FAMILY_UNPACK(int type) {
    switch (type) {
    case CK_Q4_0: return unpack_q4_0;
    case CK_Q5_0: return unpack_q5_0;
    case CK_Q4_1: return unpack_q4_1;
    case CK_Q5_1: return unpack_q5_1;
    case CK_Q4_K: return unpack_q4_K;
    case CK_Q5_K: return unpack_q5_K;
    case CK_Q6_K: return unpack_q6_K;
    default: return NULL;
    }
}

ck_gemm8_fn CK_FAMILY_GEMM8(int type, int half) {
    switch (type) {
    case CK_Q8_0: return half ? gemm4_q8_0 : gemm8_q8_0;
    case CK_Q4_0: return half ? gemm4_u4_0 : gemm8_u4_0;
    case CK_Q5_0: return half ? gemm4_u5_0 : gemm8_u5_0;
    case CK_Q4_1: case CK_Q5_1: return half ? gemm4_u_1 : gemm8_u_1;
    default: return NULL;
    }
}
