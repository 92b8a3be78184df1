// ggml's vectorized exp (ggml_v_expf), as scalar code and on AVX2, with the same bits from
// both: the activations and the sampler use it so that every kernel family agrees.
#pragma once
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float v_expf_scalar(float x) {
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float nn = z - r;
    const float b = fmaf(-nn, 0x1.7f7d1cp-20f, fmaf(-nn, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                         fmaf(0x1.ffffecp-1f, b, 1.0f));
    if (fabsf(nn) > 192.0f) return nn <= 0.0f ? 0.0f : INFINITY;
    return ldexpf(j, (int)nn);
}

#if defined(__x86_64__)
// j * 2^n is an exponent add where the result stays normal (|n| <= 125, j in [0.7, 1.5)),
// and ldexpf, like the scalar path, in the rare lanes where it does not. Bit-exact with both.
__attribute__((target("avx2,fma")))
static inline __m256 v_expf_256(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 nn = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(nn, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(nn, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    const __m256i ni = _mm256_cvtps_epi32(nn);   // nn is integral (or huge): exact where it matters
    __m256 res = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(j), _mm256_slli_epi32(ni, 23)));
    const __m256 big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), nn), _mm256_set1_ps(125.0f), _CMP_GT_OQ);
    const int m = _mm256_movemask_ps(big);
    if (m) {
        float jj[8], nv[8], rv[8];
        _mm256_storeu_ps(jj, j); _mm256_storeu_ps(nv, nn); _mm256_storeu_ps(rv, res);
        for (int k = 0; k < 8; k++) {
            if (!(m >> k & 1)) continue;
            if (fabsf(nv[k]) > 192.0f) rv[k] = nv[k] <= 0.0f ? 0.0f : INFINITY;
            else rv[k] = ldexpf(jj[k], (int)nv[k]);
        }
        res = _mm256_loadu_ps(rv);
    }
    return res;
}

#endif

// tanh from the exp above: an odd Taylor polynomial where |x| < 0.25 (no cancellation; the first
// omitted term is below 1e-7 relative), (e^2|x| - 1) / (e^2|x| + 1) with the sign restored elsewhere,
// 1 beyond 9 (where tanhf rounds to 1 too). Within 4 ulp of tanhf (1.2e-7 absolute over -12..12, checked
// every 0.00037); scalar and AVX2 give the same bits.
static inline float v_tanhf_scalar(float x) {
    const float a = fabsf(x);
    float t;
    if (a < 0.25f) {
        const float x2 = x * x;
        const float p = fmaf(fmaf(fmaf(fmaf(62.0f / 2835.0f, x2, -17.0f / 315.0f), x2, 2.0f / 15.0f), x2, -1.0f / 3.0f), x2, 0.0f);
        return fmaf(p, x, x);
    }
    if (a >= 9.0f) t = 1.0f;
    else {
        const float e = v_expf_scalar(2.0f * a);
        t = (e - 1.0f) / (e + 1.0f);
    }
    return copysignf(t, x);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static inline __m256 v_tanhf_256(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 a = _mm256_andnot_ps(sign, x);
    const __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(62.0f / 2835.0f), x2, _mm256_set1_ps(-17.0f / 315.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_setzero_ps());
    const __m256 small = _mm256_fmadd_ps(p, x, x);
    const __m256 e = v_expf_256(_mm256_mul_ps(_mm256_set1_ps(2.0f), _mm256_min_ps(_mm256_set1_ps(9.0f), a)));
    __m256 t = _mm256_div_ps(_mm256_sub_ps(e, _mm256_set1_ps(1.0f)), _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
    t = _mm256_blendv_ps(t, _mm256_set1_ps(1.0f), _mm256_cmp_ps(a, _mm256_set1_ps(9.0f), _CMP_GE_OQ));
    t = _mm256_or_ps(t, _mm256_and_ps(sign, x));
    return _mm256_blendv_ps(t, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.25f), _CMP_LT_OQ));
}
#endif
