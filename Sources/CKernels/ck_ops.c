// Transformer ops other than matrix products. See ck_ops.h.
#include "ck_ops.h"
#include "ck_vexp.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Every fused multiply-add here is explicit (fmaf / _mm*_fmadd_ps), where ggml's build has one.
#pragma STDC FP_CONTRACT OFF

void ck_rms_norm(const float *x, const float *w, float *y, int64_t n, int64_t n_rows, float eps) {
    for (int64_t r = 0; r < n_rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        double sum = 0.0;  // ggml sums the squares in double
        for (int64_t i = 0; i < n; i++) sum += (double)(xr[i] * xr[i]);
        const float mean = (float)(sum / (double)n);
        const float scale = 1.0f / sqrtf(mean + eps);
        if (w) {
            for (int64_t i = 0; i < n; i++) yr[i] = (xr[i] * scale) * w[i];
        } else {
            for (int64_t i = 0; i < n; i++) yr[i] = xr[i] * scale;
        }
    }
}

void ck_rope_apply(float *x, int64_t n_rows, int64_t row_stride, int n_heads, int head_dim, const float *table, int mode) {
    for (int64_t r = 0; r < n_rows; r++) {
        const float *cs = table + r * head_dim;
        float *row = x + r * row_stride;
        for (int h = 0; h < n_heads; h++) {
            float *v = row + (int64_t)h * head_dim;
            if (mode == CK_ROPE_NEOX) {
                const int half = head_dim / 2;
                for (int i0 = 0; i0 < head_dim; i0 += 2) {
                    const float c = cs[i0], s = cs[i0 + 1];
                    const float x0 = v[i0 / 2], x1 = v[i0 / 2 + half];
                    // ggml's build fuses these as fma(x0, c, -(x1*s)) and fma(x0, s, x1*c)
                    v[i0 / 2] = fmaf(x0, c, -(x1 * s));
                    v[i0 / 2 + half] = fmaf(x0, s, x1 * c);
                }
            } else {
                for (int i0 = 0; i0 < head_dim; i0 += 2) {
                    const float c = cs[i0], s = cs[i0 + 1];
                    const float x0 = v[i0], x1 = v[i0 + 1];
                    // as ggml's build: fma(x0, c, -(x1*s)) and fma(x0, s, x1*c)
                    v[i0] = fmaf(x0, c, -(x1 * s));
                    v[i0 + 1] = fmaf(x0, s, x1 * c);
                }
            }
        }
    }
}

void ck_store_kv(const float *x, int64_t n_tok, int64_t kv_dim, uint16_t *cache, int64_t slot_stride,
                 const int32_t *slot, const int32_t *pos) {
    for (int64_t t = 0; t < n_tok; t++) {
        uint16_t *dst = cache + (int64_t)slot[t] * slot_stride + (int64_t)pos[t] * kv_dim;
        ck_fp32_to_fp16_row(x + t * kv_dim, dst, kv_dim);
    }
}

#define CK_ATTN_TILED_ROWS 64

// ---- attention ------------------------------------------------------------------------------

typedef struct {
    const float *q;
    int64_t n_tok;
    int n_head, n_kv_head, head_dim;
    const uint16_t *k_cache, *v_cache;
    int64_t slot_stride;
    const int32_t *slot, *pos;
    int32_t window;
    float scale;
    float softcap;   // > 0: scores become softcap * tanh(score), with scale already divided by it
    float *scratch;
    int64_t scratch_per_thread;
    float *out;
    const uint8_t *exact_f32;  // per token: the f32 path (long query runs) or the f16 one
    int heads_per_item;        // query heads of one KV head that one work item attends
    atomic_int_fast64_t next;
} attn_ctx;

int64_t ck_attention_scratch_floats(const ck_pool *pool, int64_t max_ctx, int head_dim) {
    return (int64_t)ck_pool_size(pool) * (max_ctx + 2 * head_dim + 64);
}

// K·Q as ggml_vec_dot_f16 computes it on AVX-512 (ggml's F16 SIMD step of 64 = 4 accumulators of
// 16 lanes): element i goes to accumulator (i/16)%4, lane i%16, by fused multiply-add; then
// acc0+acc2, acc1+acc3, their sum, and the 16 lanes halved (8+8, 4+4, then (0+2)+(1+3)). Elements
// past the last multiple of 64 are added in double. q holds f16-rounded values as floats.
static float dot_f16_scalar(const float *q, const uint16_t *k, int n) {
    float acc[4][16];
    memset(acc, 0, sizeof acc);
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 16; l++)
                acc[j][l] = fmaf(ck_fp16_to_fp32(k[i + 16 * j + l]), q[i + 16 * j + l], acc[j][l]);
    float t8[8], t4[4];
    for (int l = 0; l < 16; l++) {
        acc[0][l] = acc[0][l] + acc[2][l];
        acc[1][l] = acc[1][l] + acc[3][l];
        acc[0][l] = acc[0][l] + acc[1][l];
    }
    for (int l = 0; l < 8; l++) t8[l] = acc[0][l + 8] + acc[0][l];
    for (int l = 0; l < 4; l++) t4[l] = t8[l + 4] + t8[l];
    double sum = (double)((t4[0] + t4[2]) + (t4[1] + t4[3]));
    for (int i = np; i < n; i++) sum += (double)(ck_fp16_to_fp32(k[i]) * q[i]);
    return (float)sum;
}

static void mad_f16_scalar(float *acc, const uint16_t *v, float w, int n) {
    for (int i = 0; i < n; i++) acc[i] += w * ck_fp16_to_fp32(v[i]);
}

#if defined(__x86_64__)
// dot_f16_scalar's order with 8-lane vectors: lo[j]/hi[j] are lanes 0-7/8-15 of accumulator j.
__attribute__((target("avx2,fma,f16c")))
static float dot_f16_avx2(const float *q, const uint16_t *k, int n) {
    __m256 lo[4], hi[4];
    for (int j = 0; j < 4; j++) lo[j] = hi[j] = _mm256_setzero_ps();
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64) {
        for (int j = 0; j < 4; j++) {
            const int o = i + 16 * j;
            lo[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + o))), _mm256_loadu_ps(q + o), lo[j]);
            hi[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + o + 8))), _mm256_loadu_ps(q + o + 8), hi[j]);
        }
    }
    lo[0] = _mm256_add_ps(lo[0], lo[2]); hi[0] = _mm256_add_ps(hi[0], hi[2]);
    lo[1] = _mm256_add_ps(lo[1], lo[3]); hi[1] = _mm256_add_ps(hi[1], hi[3]);
    lo[0] = _mm256_add_ps(lo[0], lo[1]); hi[0] = _mm256_add_ps(hi[0], hi[1]);
    const __m256 t8 = _mm256_add_ps(hi[0], lo[0]);
    const __m128 t4 = _mm_add_ps(_mm256_extractf128_ps(t8, 1), _mm256_castps256_ps128(t8));
    const __m128 t2 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));              // (0+2, 1+3)
    double sum = (double)_mm_cvtss_f32(_mm_add_ss(t2, _mm_movehdup_ps(t2)));
    for (int i = np; i < n; i++) sum += (double)(ck_fp16_to_fp32(k[i]) * q[i]);
    return (float)sum;
}

__attribute__((target("avx2,fma,f16c")))
static void mad_f16_avx2(float *acc, const uint16_t *v, float w, int n) {
    const __m256 wv = _mm256_set1_ps(w);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_loadu_ps(acc + i);
        a = _mm256_fmadd_ps(wv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i))), a);
        _mm256_storeu_ps(acc + i, a);
    }
    for (; i < n; i++) acc[i] += w * ck_fp16_to_fp32(v[i]);
}
#endif

static void scale_f16_scalar(uint16_t *y, float v, int n) {
    for (int i = 0; i < n; i++) y[i] = ck_fp32_to_fp16(ck_fp16_to_fp32(y[i]) * v);
}

static void mad_into_f16_scalar(uint16_t *y, const uint16_t *x, float v, int n) {
    for (int i = 0; i < n; i++) y[i] = ck_fp32_to_fp16(fmaf(ck_fp16_to_fp32(x[i]), v, ck_fp16_to_fp32(y[i])));
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static void scale_f16_avx2(uint16_t *y, float v, int n) {
    const __m256 vv = _mm256_set1_ps(v);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i))), vv);
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT));
    }
    scale_f16_scalar(y + i, v, n - i);
}

__attribute__((target("avx2,fma,f16c")))
static void mad_into_f16_avx2(uint16_t *y, const uint16_t *x, float v, int n) {
    const __m256 vv = _mm256_set1_ps(v);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i)));
        a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), vv, a);
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT));
    }
    mad_into_f16_scalar(y + i, x + i, v, n - i);
}
#endif

// dst[i] = src[i] rounded to f16 and back (F16C rounds to nearest even, as ck_fp32_to_fp16 does).
static void round_to_f16(const float *src, float *dst, int n) {
    for (int i = 0; i < n; i++) dst[i] = ck_fp16_to_fp32(ck_fp32_to_fp16(src[i]));
}
// dst[i] = f16 y[i] as a float, times v.
static void f16_times(const uint16_t *y, float v, float *dst, int n) {
    for (int i = 0; i < n; i++) dst[i] = ck_fp16_to_fp32(y[i]) * v;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static void round_to_f16_avx2(const float *src, float *dst, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT)));
    round_to_f16(src + i, dst + i, n - i);
}

__attribute__((target("avx2,fma,f16c")))
static void f16_times_avx2(const uint16_t *y, float v, float *dst, int n) {
    const __m256 vv = _mm256_set1_ps(v);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i))), vv));
    f16_times(y + i, v, dst + i, n - i);
}
#endif

static void scale_f16(uint16_t *y, float v, int n, int fast) {
#if defined(__x86_64__)
    if (fast) { scale_f16_avx2(y, v, n); return; }
#endif
    (void)fast;
    scale_f16_scalar(y, v, n);
}

static void mad_into_f16(uint16_t *y, const uint16_t *x, float v, int n, int fast) {
#if defined(__x86_64__)
    if (fast) { mad_into_f16_avx2(y, x, v, n); return; }
#endif
    (void)fast;
    mad_into_f16_scalar(y, x, v, n);
}

static float dot_f16(const float *q, const uint16_t *k, int n, int fast) {
#if defined(__x86_64__)
    if (fast) return dot_f16_avx2(q, k, n);
#endif
    (void)fast;
    return dot_f16_scalar(q, k, n);
}

// Query heads of one KV head attended together (llama.cpp's path for short query runs): each
// head's numbers are computed exactly as alone, but one pass over the cached rows serves them
// all, and their independent chains overlap in the core instead of waiting on one another.
#define CK_ATTN_GROUP_HALVES 2048

// llama.cpp's CPU flash attention for short query runs: Q in f16, online softmax, V accumulated
// in f16 (rounded at every step). Matching it keeps greedy output in step with llama.cpp's on
// near-tied logits. Heads h0 .. h0+ng-1 of token t, all reading the same KV head.
static void attend_f16_heads(const attn_ctx *c, int64_t t, int h0, int ng, const uint16_t *kb, const uint16_t *vb,
                             int32_t lo, int32_t p, int fast) {
    const int hd = c->head_dim;
    const int64_t kv_dim = (int64_t)c->n_kv_head * hd;
    float qh[CK_ATTN_GROUP_HALVES];
    uint16_t vk16[CK_ATTN_GROUP_HALVES];
    float M[CK_ATTN_GROUP_HALVES / 16], S[CK_ATTN_GROUP_HALVES / 16];
    for (int g = 0; g < ng; g++) {
        // Q is rounded to f16 as ggml does before its f16 K·Q products.
        const float *qsrc = c->q + t * (int64_t)c->n_head * hd + (int64_t)(h0 + g) * hd;
#if defined(__x86_64__)
        if (fast) round_to_f16_avx2(qsrc, qh + g * hd, hd); else
#endif
        round_to_f16(qsrc, qh + g * hd, hd);
        for (int i = 0; i < hd; i++) vk16[g * hd + i] = 0;
        M[g] = -INFINITY;
        S[g] = 0.0f;
    }
    for (int32_t j = lo; j <= p; j++) {
        const uint16_t *kr = kb + (int64_t)j * kv_dim;
        const uint16_t *vr = vb + (int64_t)j * kv_dim;
        for (int g = 0; g < ng; g++) {
            float s = dot_f16(qh + g * hd, kr, hd, fast) * c->scale;
            if (c->softcap > 0.0f) s = c->softcap * v_tanhf_scalar(s);
            float ms = 1.0f, vs = 1.0f;
            if (s > M[g]) {
                const float Mold = M[g];
                M[g] = s;
                ms = expf(Mold - s);
                scale_f16(vk16 + g * hd, ms, hd, fast);
            } else {
                vs = expf(s - M[g]);
            }
            mad_into_f16(vk16 + g * hd, vr, vs, hd, fast);
            S[g] = fmaf(S[g], ms, vs);   // fused, as in ggml's build
        }
    }
    for (int g = 0; g < ng; g++) {
        const float inv = S[g] == 0.0f ? 0.0f : 1.0f / S[g];
        float *out = c->out + t * (int64_t)c->n_head * hd + (int64_t)(h0 + g) * hd;
#if defined(__x86_64__)
        if (fast) f16_times_avx2(vk16 + g * hd, inv, out, hd); else
#endif
        f16_times(vk16 + g * hd, inv, out, hd);
    }
}

// llama.cpp's path for query runs of CK_ATTN_TILED_ROWS or more: f32 scores, a plain softmax
// summed in double, V accumulated in f32. One head of token t.
static void attend_f32_head(const attn_ctx *c, int64_t t, int h, const uint16_t *kb, const uint16_t *vb,
                            int32_t lo, int32_t p, int fast, float *scores, float *acc) {
    const int hd = c->head_dim;
    const int64_t kv_dim = (int64_t)c->n_kv_head * hd;
    const float *qh = c->q + t * (int64_t)c->n_head * hd + (int64_t)h * hd;
    float mx = -INFINITY;
    for (int32_t j = lo; j <= p; j++) {
        float s = dot_f16(qh, kb + (int64_t)j * kv_dim, hd, fast) * c->scale;
        if (c->softcap > 0.0f) s = c->softcap * v_tanhf_scalar(s);
        scores[j - lo] = s;
        if (s > mx) mx = s;
    }
    double sum = 0.0;
    const int32_t cnt = p - lo + 1;
    for (int32_t j = 0; j < cnt; j++) {
        const float e = expf(scores[j] - mx);
        scores[j] = e;
        sum += (double)e;
    }
    const float inv = (float)(1.0 / sum);
    memset(acc, 0, sizeof(float) * hd);
    for (int32_t j = 0; j < cnt; j++) {
        const uint16_t *vr = vb + (int64_t)(j + lo) * kv_dim;
        const float w = scores[j] * inv;
#if defined(__x86_64__)
        if (fast) mad_f16_avx2(acc, vr, w, hd); else mad_f16_scalar(acc, vr, w, hd);
#else
        mad_f16_scalar(acc, vr, w, hd);
#endif
    }
    memcpy(c->out + t * (int64_t)c->n_head * hd + (int64_t)h * hd, acc, sizeof(float) * hd);
}

// Work items: (token, KV head, a run of heads_per_item of its query heads), so query heads that
// share a KV head share its rows, while small batches still split into enough items for the threads.
static void attention_task(void *vctx, int ith, int nth) {
    (void)nth;
    attn_ctx *c = (attn_ctx *)vctx;
    const int hd = c->head_dim;
    const int group = c->n_head / c->n_kv_head;
    float *scores = c->scratch + ith * c->scratch_per_thread;
    float *acc = scores + (c->scratch_per_thread - 2 * hd - 64);
#if defined(__x86_64__)
    const int fast = (ck_cpu_features() & CK_FEAT_AVX2) != 0;
#else
    const int fast = 0;
#endif
    const int hpi = c->heads_per_item;
    const int runs = (group + hpi - 1) / hpi;
    const int64_t total = c->n_tok * c->n_kv_head * runs;
    for (;;) {
        const int64_t item = atomic_fetch_add(&c->next, 1);
        if (item >= total) break;
        const int64_t t = item / ((int64_t)c->n_kv_head * runs);
        const int kvh = (int)(item / runs % c->n_kv_head);
        const int run = (int)(item % runs);
        const int32_t p = c->pos[t];
        int32_t lo = 0;
        if (c->window > 0 && p - c->window + 1 > 0) lo = p - c->window + 1;
        const uint16_t *kb = c->k_cache + (int64_t)c->slot[t] * c->slot_stride + (int64_t)kvh * hd;
        const uint16_t *vb = c->v_cache + (int64_t)c->slot[t] * c->slot_stride + (int64_t)kvh * hd;
        const int h0 = kvh * group + run * hpi;
        const int h_end = h0 + hpi < (kvh + 1) * group ? h0 + hpi : (kvh + 1) * group;
        if (c->exact_f32[t]) {
            for (int h = h0; h < h_end; h++) attend_f32_head(c, t, h, kb, vb, lo, p, fast, scores, acc);
        } else {
            attend_f16_heads(c, t, h0, h_end - h0, kb, vb, lo, p, fast);
        }
    }
}

void ck_attention(ck_pool *pool, const float *q, int64_t n_tok, int n_head, int n_kv_head, int head_dim,
                  const uint16_t *k_cache, const uint16_t *v_cache, int64_t slot_stride,
                  const int32_t *slot, const int32_t *pos, int32_t window, float scale, float softcap,
                  float *scratch, float *out) {
    // As ggml's flash attention: with soft-capping the scale is divided by the cap first.
    attn_ctx c = {
        .q = q, .n_tok = n_tok, .n_head = n_head, .n_kv_head = n_kv_head, .head_dim = head_dim,
        .k_cache = k_cache, .v_cache = v_cache, .slot_stride = slot_stride, .slot = slot, .pos = pos,
        .window = window, .scale = softcap > 0.0f ? scale / softcap : scale, .softcap = softcap,
        .scratch = scratch, .out = out,
    };
    // per thread: scores (max_ctx), a copy of q (head_dim), the accumulator (head_dim), slack
    const int64_t max_ctx = slot_stride / ((int64_t)n_kv_head * head_dim);
    c.scratch_per_thread = ck_attention_scratch_floats(pool, max_ctx, head_dim) / ck_pool_size(pool);
    // llama.cpp switches kernels by the rows of a micro-batch: 64 or more take its tiled f32
    // path, fewer its f16-accumulating one. Decide per sequence (its tokens in this batch), so
    // a sequence's numbers never depend on what else is batched with it.
    uint8_t *exact = malloc((size_t)n_tok);
    for (int64_t t = 0; t < n_tok; t++) {
        int64_t same = 0;
        for (int64_t u = 0; u < n_tok && same < CK_ATTN_TILED_ROWS; u++) same += slot[u] == slot[t];
        exact[t] = same >= CK_ATTN_TILED_ROWS;
    }
    c.exact_f32 = exact;
    // All of a KV head's query heads in one item (as far as the item's stack buffers hold), unless
    // that leaves fewer than 4 items per thread (single-sequence decode): then halve the runs.
    const int group = n_head / n_kv_head, nth = ck_pool_size(pool);
    int hpi = CK_ATTN_GROUP_HALVES / head_dim < 1 ? 1 : CK_ATTN_GROUP_HALVES / head_dim;
    if (hpi > group) hpi = group;
    while (hpi > 1 && n_tok * n_kv_head * ((group + hpi - 1) / hpi) < 4 * nth) hpi = (hpi + 1) / 2;
    c.heads_per_item = hpi;
    atomic_init(&c.next, 0);
    ck_pool_run(pool, attention_task, &c);
    free(exact);
}

// ---- activations ----------------------------------------------------------------------------

// SiLU as ggml's AVX-512 build computes it (ggml_v_silu / ggml_v_expf, 16 lanes at a time): a
// polynomial exp with an explicit 2^n scaling, x / (1 + exp(0 - x)). Elements past the last
// multiple of 16 use libm's expf, like ggml's scalar tail.
static float silu_tail(float x) { return x / (1.0f + expf(-x)); }


static void swiglu_scalar(const float *gate, const float *up, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float x = gate[i];
        out[i] = (x / (1.0f + v_expf_scalar(0.0f - x))) * up[i];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq")))
static inline __m512 v_expf_512(__m512 x) {
    const __m512 r = _mm512_set1_ps(0x1.8p23f);
    const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
    const __m512 nn = _mm512_sub_ps(z, r);
    const __m512 b = _mm512_fnmadd_ps(nn, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                      _mm512_fnmadd_ps(nn, _mm512_set1_ps(0x1.62e4p-1f), x));
    const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(nn), _mm512_set1_ps(192), _CMP_GT_OQ);
    const __m512 u = _mm512_mul_ps(b, b);
    const __m512 j = _mm512_fmadd_ps(
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                        _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
        u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
    const __m512 res = _mm512_scalef_ps(j, nn);
    if (!d) return res;
    const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(nn, _mm512_setzero_ps(), _CMP_LE_OQ),
                                            _mm512_set1_ps(INFINITY), _mm512_setzero_ps());
    return _mm512_mask_blend_ps(d, res, alt);
}

__attribute__((target("avx512f,avx512dq")))
static void swiglu_avx512(const float *gate, const float *up, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(gate + i);
        const __m512 e = v_expf_512(_mm512_sub_ps(_mm512_setzero_ps(), x));
        const __m512 sl = _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        _mm512_storeu_ps(out + i, _mm512_mul_ps(sl, _mm512_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = silu_tail(gate[i]) * up[i];
}
#endif

#if defined(__x86_64__)
// AVX2: 16 elements (two vectors) at a time, so the tail matches the AVX-512 build's.
__attribute__((target("avx2,fma")))
static void swiglu_avx2(const float *gate, const float *up, float *out, int64_t n) {
    const int64_t nv = n & ~(int64_t)15;
    int64_t i = 0;
    for (; i < nv; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        const __m256 e = v_expf_256(_mm256_sub_ps(_mm256_setzero_ps(), x));
        const __m256 sl = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(sl, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = silu_tail(gate[i]) * up[i];
}
#endif

void ck_swiglu(const float *gate, const float *up, float *out, int64_t n) {
#if defined(__x86_64__)
    const int f = ck_cpu_features();
    if (f & CK_FEAT_AVX512) { swiglu_avx512(gate, up, out, n); return; }
    if (f & CK_FEAT_AVX2) { swiglu_avx2(gate, up, out, n); return; }
#endif
    const int64_t nv = n & ~(int64_t)15;
    swiglu_scalar(gate, up, out, nv);
    for (int64_t i = nv; i < n; i++) out[i] = silu_tail(gate[i]) * up[i];
}

static float gelu_table[65536];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void gelu_init(void) {
    const float a = 0.044715f, k = 0.79788456080286535587989211986876f;
    for (int i = 0; i < 65536; i++) {
        const float x = ck_fp16_to_fp32((uint16_t)i);
        // ggml_gelu_f32 as ggml's build evaluates it: (0.5x)(1 + tanh((kx) * fma(ax, x, 1)))
        const float g = (0.5f * x) * (1.0f + tanhf((k * x) * fmaf(a * x, x, 1.0f)));
        gelu_table[i] = ck_fp16_to_fp32(ck_fp32_to_fp16(g));
    }
}

#if defined(__x86_64__)
// The table lookup 8 at a time: F16C rounds to nearest even like ck_fp32_to_fp16.
__attribute__((target("avx2,fma,f16c")))
static int64_t geglu_avx2(const float *gate, const float *up, float *out, int64_t n) {
    int64_t i = 0;
    const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        const __m128i h = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 g = _mm256_i32gather_ps(gelu_table, _mm256_cvtepu16_epi32(h), 4);
        g = _mm256_blendv_ps(g, x, _mm256_cmp_ps(x, hi, _CMP_GE_OQ));
        __m256 y = _mm256_mul_ps(g, _mm256_loadu_ps(up + i));
        y = _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LE_OQ), y);   // +0 where x <= -10
        _mm256_storeu_ps(out + i, y);
    }
    return i;
}
#endif

void ck_geglu(const float *gate, const float *up, float *out, int64_t n) {
    pthread_once(&gelu_once, gelu_init);
    int64_t start = 0;
#if defined(__x86_64__)
    if (ck_cpu_features() & CK_FEAT_AVX2) start = geglu_avx2(gate, up, out, n);
#endif
    for (int64_t i = start; i < n; i++) {
        const float x = gate[i];
        float g;
        if (x <= -10.0f) { out[i] = 0.0f; continue; }   // ggml stores +0 here, whatever up's sign
        else if (x >= 10.0f) g = x;
        else g = gelu_table[ck_fp32_to_fp16(x)];
        out[i] = g * up[i];
    }
}

void ck_add(const float *a, const float *b, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

void ck_add_rows(float *x, int64_t n_rows, int64_t width, const float *row) {
    for (int64_t r = 0; r < n_rows; r++) {
        float *xr = x + r * width;
        for (int64_t i = 0; i < width; i++) xr[i] += row[i];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static int64_t softcap_avx2(float *x, int64_t n, float cap) {
    const __m256 c = _mm256_set1_ps(cap);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i), c);
        _mm256_storeu_ps(x + i, _mm256_mul_ps(v_tanhf_256(v), c));
    }
    return i;
}
#endif

void ck_softcap(float *x, int64_t n, float cap) {
    int64_t i = 0;
#if defined(__x86_64__)
    if (ck_cpu_features() & CK_FEAT_AVX2) i = softcap_avx2(x, n, cap);
#endif
    for (; i < n; i++) x[i] = v_tanhf_scalar(x[i] / cap) * cap;
}

void ck_scale(float *x, int64_t n, float s) {
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

void ck_get_rows(int type, const void *w, int64_t n, const int32_t *ids, int64_t n_ids, float *y) {
    const size_t rs = ck_row_size(type, n);
    for (int64_t i = 0; i < n_ids; i++) {
        ck_dequantize_row(type, (const char *)w + (size_t)ids[i] * rs, y + i * n, n);
    }
}
