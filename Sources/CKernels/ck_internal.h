// Internal definitions shared by the CKernels sources: block layouts (ggml's), fp16 helpers,
// and the per-ISA kernel table used by the dispatcher.
#pragma once
#include "ckernels.h"
#include <string.h>
#include <math.h>

#define CK_QK 32
#define CK_QK_K 256

typedef uint16_t ck_half;

typedef struct { ck_half d; uint8_t qs[16]; } ck_block_q4_0;                 // 18 B
typedef struct { ck_half d, m; uint8_t qs[16]; } ck_block_q4_1;              // 20 B
typedef struct { ck_half d; uint8_t qh[4]; uint8_t qs[16]; } ck_block_q5_0;  // 22 B
typedef struct { ck_half d, m; uint8_t qh[4]; uint8_t qs[16]; } ck_block_q5_1; // 24 B
typedef struct { ck_half d; int8_t qs[32]; } ck_block_q8_0;                  // 34 B
typedef struct { ck_half d, s; int8_t qs[32]; } ck_block_q8_1;               // 36 B: s = d * sum(qs)
typedef struct { ck_half d, dmin; uint8_t scales[12]; uint8_t qs[128]; } ck_block_q4_K;            // 144 B
typedef struct { ck_half d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } ck_block_q5_K; // 176 B
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ck_half d; } ck_block_q6_K;  // 210 B
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } ck_block_q8_K;                     // 292 B

_Static_assert(sizeof(ck_block_q4_0) == 18, "q4_0");
_Static_assert(sizeof(ck_block_q4_1) == 20, "q4_1");
_Static_assert(sizeof(ck_block_q5_0) == 22, "q5_0");
_Static_assert(sizeof(ck_block_q5_1) == 24, "q5_1");
_Static_assert(sizeof(ck_block_q8_0) == 34, "q8_0");
_Static_assert(sizeof(ck_block_q8_1) == 36, "q8_1");
_Static_assert(sizeof(ck_block_q4_K) == 144, "q4_K");
_Static_assert(sizeof(ck_block_q5_K) == 176, "q5_K");
_Static_assert(sizeof(ck_block_q6_K) == 210, "q6_K");
_Static_assert(sizeof(ck_block_q8_K) == 292, "q8_K");
// A Q4_0/Q5_0/Q4_1/Q5_1 block with its 4- or 5-bit values unpacked to one byte each (0..31, no
// offset), in ggml's element order; m is 0 for the _0 types. Batched matrix products unpack a
// row tile once into this form and reuse it for every group of tokens.
typedef struct { ck_half d, m; uint8_t qs[32]; } ck_block_u8;                 // 36 B
_Static_assert(sizeof(ck_block_u8) == 36, "u8");
// A Q4_K/Q5_K super-block unpacked: d and dmin as floats, the 8 scales then the 8 mins as bytes,
// and the 256 values (0..31) one per byte, each 64 as 32 low-nibble values then 32 high-nibble ones.
typedef struct { float d, dmin; uint8_t sc[16]; uint8_t q[256]; } ck_block_u8k;   // 280 B
_Static_assert(sizeof(ck_block_u8k) == 280, "u8k");
// A Q6_K super-block unpacked: d as a float, the 16 scales, the 256 values (0..63) one per byte.
typedef struct { float d; int8_t scales[16]; uint8_t q[256]; } ck_block_u8k6;     // 276 B
_Static_assert(sizeof(ck_block_u8k6) == 276, "u8k6");
// Bytes of one row of n elements of `type` in its unpacked form (0: none).
size_t ck_unpacked_row_size(int type, int64_t n);

// Portable IEEE binary16 <-> binary32 (round to nearest even), exact like F16C.
static inline float ck_h2f(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        if (man == 0) { bits = sign; }
        else {                       // subnormal: normalize
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f; memcpy(&f, &bits, 4); return f;
}

static inline uint16_t ck_f2h(float f) {
    uint32_t x; memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));  // NaN stays NaN
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);                          // overflow -> inf
    if (ax < 0x38800000u) {                                                           // subnormal / zero
        // value = ax as float; result = round(value / 2^-24)
        float v; memcpy(&v, &ax, 4);
        float r = v * 16777216.0f;                       // exact scaling by 2^24
        // round half to even via the float adder trick (r < 1024 here)
        float t = r + 8388608.0f; uint32_t tb; memcpy(&tb, &t, 4);
        return (uint16_t)(sign | (tb & 0x7ff));
    }
    uint32_t mant_odd = (ax >> 13) & 1;
    ax += 0xc8000fffu + mant_odd;   // rebias exponent (-112<<23) and round to nearest even
    return (uint16_t)(sign | (ax >> 13));
}

static inline float ck_bf2f(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }
static inline uint16_t ck_f2bf(float f) {
    uint32_t u; memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64);  // quiet NaN
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

// Unpack the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block.
static inline void ck_scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) { *sc = q[j] & 63; *m = q[j + 4] & 63; }
    else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// ---- scalar reference (ck_scalar.c) ----
void ck_scalar_dequantize(int type, const void *x, float *y, int64_t n);
void ck_scalar_quantize(int dot_type, const float *x, void *y, int64_t n);
float ck_scalar_vec_dot(int type, int64_t n, const void *w, const void *x);
int ck_block_elems(int type);
size_t ck_block_bytes(int type);

// ---- per-ISA tile kernels ----
// Computes out[t*os + r] = dot(w row r, x row t) for r < nr, t < nt (nr <= CK_TILE_R, nt <= CK_TILE_T).
// n: elements per row; w rows are wrs bytes apart, x rows xrs bytes apart.
#define CK_TILE_R 4
#define CK_TILE_T 4
typedef void (*ck_tile_fn)(int64_t n, const uint8_t *w, size_t wrs, int nr,
                           const uint8_t *x, size_t xrs, int nt, float *out, int64_t os);
// Returns the tile kernel for `type` of the given family (1 avx2, 2 avx512, 3 avx512vnni), or NULL.
ck_tile_fn ck_tile_avx2(int type);
ck_tile_fn ck_tile_avx512(int type);
ck_tile_fn ck_tile_vnni(int type);
// The unpacked form of a type's row tile: the family's unpack function writes nr rows of n
// elements one after another: ck_block_u8 blocks for Q4_0 / Q5_0 / Q4_1 / Q5_1 (row r's blocks at
// dst + r * (n / 32) * 36), read by the interleaved GEMM below; ck_block_u8k / ck_block_u8k6 for the
// K-quants, read by the tile kernel `CK_UNPACKED(type)` names. NULL / 0 for types without one.
#define CK_UNPACKED(type) (1000 + (type))
typedef void (*ck_unpack_fn)(int64_t n, const uint8_t *w, size_t wrs, int nr, uint8_t *dst);
ck_unpack_fn ck_unpack_avx2(int type);
ck_unpack_fn ck_unpack_avx512(int type);
ck_unpack_fn ck_unpack_vnni(int type);
// The token-interleaved GEMM for Q4_0 / Q5_0 / Q4_1 / Q5_1 / Q8_0 weights: 8 tokens' Q8_0 or Q8_1
// activations per group, each 32-element block as CK_X8_BLOCK bytes: the 8 groups of 4 values
// (group j of token t at byte 32 * j + 4 * t), then the 8 tokens' scales d as floats (byte 256),
// then per token the sum of its 32 values as int32 (Q8_0) or its s as a float (Q8_1) (byte 288).
// Tokens past the end of the batch are zero. Block b of token group g is at
// (g * n / 32 + b) * CK_X8_BLOCK. The GEMM reads nr <= CK_GEMM8_R rows, wrs bytes apart: Q8_0 rows
// as stored, the others as ck_block_u8 (the family's unpack function); it writes out[t * os + r]
// for t < nt <= 8.
#define CK_X8_TOKENS 8
#define CK_X8_BLOCK 320
#define CK_X8_D 256      // byte offset of the 8 floats d in an interleaved block
#define CK_X8_S 288      // byte offset of the 8 sums (Q8_0, int32) or s (Q8_1, float)
// Bytes of one group of 8 tokens for rows of n elements.
static inline size_t ck_x8_group_bytes(int64_t n) { return (size_t)(n / CK_QK) * CK_X8_BLOCK; }
#define CK_GEMM8_R CK_TILE_R
typedef void (*ck_gemm8_fn)(int64_t n, const uint8_t *w, size_t wrs, int nr,
                            const uint8_t *xi, int nt, float *out, int64_t os);
// half = 1: the kernel for a last group of 1..4 tokens interleaved twice over (lanes 4..7 repeat
// lanes 0..3), which computes two rows per register: the same figures at half the steps.
ck_gemm8_fn ck_gemm8_avx2(int type, int half);
ck_gemm8_fn ck_gemm8_avx512(int type, int half);
ck_gemm8_fn ck_gemm8_vnni(int type, int half);
// AVX2 activation quantizers, bit-exact with the scalar ones; returns 0 when dot_type has none.
int ck_quantize_row_avx2(int dot_type, const float *x, void *y, int64_t n);
// Like ck_pool_run, but workers that have not started by the time thread 0 returns from fn skip the
// job: fn must take its work from shared counters and must not rely on every ith running.
void ck_pool_run_dynamic(ck_pool *pool, ck_task_fn fn, void *ctx);
