// AVX2 activation quantizers (Q8_0, Q8_1, Q8_K). Bit-exact with the scalar ones in ck_scalar.c:
// Q8_0/Q8_1 follow ggml's x86 path (id = 127/amax, round half to even), Q8_K its reference.
#include "ck_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

static inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

static inline __m256 vabs(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

static inline __m256i round_even(__m256 v) {
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// 32 int32 (four vectors) -> 32 int8 in order.
static inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    const __m256i v = _mm256_packs_epi16(ab, cd);
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static void quant_q8_x(const float *x, uint8_t *y, int64_t nb, int with_sum) {
    const size_t bs = with_sum ? sizeof(ck_block_q8_1) : sizeof(ck_block_q8_0);
    for (int64_t i = 0; i < nb; i++, x += 32, y += bs) {
        __m256 v[4];
        for (int k = 0; k < 4; k++) v[k] = _mm256_loadu_ps(x + 8 * k);
        const float amax = hmax8(_mm256_max_ps(_mm256_max_ps(vabs(v[0]), vabs(v[1])),
                                               _mm256_max_ps(vabs(v[2]), vabs(v[3]))));
        const float d = amax / 127.f;
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        const __m256 idv = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++) q[k] = round_even(_mm256_mul_ps(v[k], idv));
        const ck_half dh = ck_f2h(d);
        memcpy(y, &dh, 2);
        const __m256i packed = pack32(q[0], q[1], q[2], q[3]);
        _mm256_storeu_si256((__m256i *)(y + (with_sum ? 4 : 2)), packed);
        if (with_sum) {
            __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
            const int sum = _mm_cvtsi128_si32(s4);
            const ck_half sh = ck_f2h(d * (float)sum);
            memcpy(y + 2, &sh, 2);
        }
    }
}

static void quant_q8_K(const float *x, ck_block_q8_K *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += CK_QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < CK_QK_K; j += 8) m = _mm256_max_ps(m, vabs(_mm256_loadu_ps(x + j)));
        const float amax = hmax8(m);
        if (!amax) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0;
        for (int j = 0; j < CK_QK_K; j++) if (fabsf(x[j]) == amax) { max = x[j]; break; }   // first, like ggml
        const float iscale = -127.f / max;
        const __m256 is = _mm256_set1_ps(iscale), magic = _mm256_set1_ps(12582912.f);
        for (int j = 0; j < CK_QK_K; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++) {
                const __m256 t = _mm256_add_ps(_mm256_mul_ps(is, _mm256_loadu_ps(x + j + 8 * k)), magic);
                __m256i v = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(t), _mm256_set1_epi32(0x007fffff)),
                                             _mm256_set1_epi32(0x00400000));
                q[k] = _mm256_min_epi32(v, _mm256_set1_epi32(127));
            }
            _mm256_storeu_si256((__m256i *)(y[i].qs + j), pack32(q[0], q[1], q[2], q[3]));
        }
        for (int g = 0; g < 16; g++) {
            const __m128i b = _mm_loadu_si128((const __m128i *)(y[i].qs + 16 * g));
            __m128i s = _mm_madd_epi16(_mm_maddubs_epi16(_mm_set1_epi8(1), b), _mm_set1_epi16(1));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
            y[i].bsums[g] = (int16_t)_mm_cvtsi128_si32(s);
        }
        y[i].d = 1 / iscale;
    }
}

#pragma clang attribute pop

int ck_quantize_row_avx2(int dot_type, const float *x, void *y, int64_t n) {
    switch (dot_type) {
    case CK_Q8_0: quant_q8_x(x, y, n / CK_QK, 0); return 1;
    case CK_Q8_1: quant_q8_x(x, y, n / CK_QK, 1); return 1;
    case CK_Q8_K: quant_q8_K(x, y, n / CK_QK_K); return 1;
    default: return 0;
    }
}
#else
int ck_quantize_row_avx2(int dot_type, const float *x, void *y, int64_t n) {
    (void)dot_type; (void)x; (void)y; (void)n;
    return 0;
}
#endif
