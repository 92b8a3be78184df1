// Transformer ops other than matrix products. See ck_ops.h.
#include "ck_ops.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

void ck_rope(float *x, int64_t n_rows, int64_t row_stride, int n_heads, int head_dim,
             const int32_t *pos, float freq_base, int mode) {
    const float theta_scale = powf(freq_base, -2.0f / (float)head_dim);
    float cs[1024];  // cos/sin pairs for one position; head_dim <= 512
    for (int64_t r = 0; r < n_rows; r++) {
        float theta = (float)pos[r];
        for (int i0 = 0; i0 < head_dim; i0 += 2) {
            cs[i0] = cosf(theta);
            cs[i0 + 1] = sinf(theta);
            theta *= theta_scale;  // ggml advances theta by repeated multiplication
        }
        float *row = x + r * row_stride;
        for (int h = 0; h < n_heads; h++) {
            float *v = row + (int64_t)h * head_dim;
            if (mode == CK_ROPE_NEOX) {
                const int half = head_dim / 2;
                for (int i0 = 0; i0 < head_dim; i0 += 2) {
                    const float c = cs[i0], s = cs[i0 + 1];
                    const float x0 = v[i0 / 2], x1 = v[i0 / 2 + half];
                    v[i0 / 2] = x0 * c - x1 * s;
                    v[i0 / 2 + half] = x0 * s + x1 * c;
                }
            } else {
                for (int i0 = 0; i0 < head_dim; i0 += 2) {
                    const float c = cs[i0], s = cs[i0 + 1];
                    const float x0 = v[i0], x1 = v[i0 + 1];
                    v[i0] = x0 * c - x1 * s;
                    v[i0 + 1] = x0 * s + x1 * c;
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
    float *scratch;
    int64_t scratch_per_thread;
    float *out;
    const uint8_t *exact_f32;  // per token: the f32 path (long query runs) or the f16 one
    atomic_int_fast64_t next;
} attn_ctx;

int64_t ck_attention_scratch_floats(const ck_pool *pool, int64_t max_ctx, int head_dim) {
    return (int64_t)ck_pool_size(pool) * (max_ctx + 2 * head_dim + 64);
}

static float dot_f16_scalar(const float *q, const uint16_t *k, int n) {
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += q[i] * ck_fp16_to_fp32(k[i]);
    return s;
}

static void mad_f16_scalar(float *acc, const uint16_t *v, float w, int n) {
    for (int i = 0; i < n; i++) acc[i] += w * ck_fp16_to_fp32(v[i]);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float dot_f16_avx2(const float *q, const uint16_t *k, int n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i))), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i + 8))), a1);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i))), a0);
    a0 = _mm256_add_ps(a0, a1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a0), _mm256_extractf128_ps(a0, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    float r = _mm_cvtss_f32(s);
    for (; i < n; i++) r += q[i] * ck_fp16_to_fp32(k[i]);
    return r;
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

static void attention_task(void *vctx, int ith, int nth) {
    (void)nth;
    attn_ctx *c = (attn_ctx *)vctx;
    const int hd = c->head_dim;
    const int group = c->n_head / c->n_kv_head;
    const int64_t kv_dim = (int64_t)c->n_kv_head * hd;
    float *scores = c->scratch + ith * c->scratch_per_thread;
    float *qh = scores + (c->scratch_per_thread - 2 * hd - 64);
    float *acc = qh + hd;
    uint16_t vk16[512];
#if defined(__x86_64__)
    const int fast = (ck_cpu_features() & CK_FEAT_AVX2) != 0;
#else
    const int fast = 0;
#endif
    const int64_t total = c->n_tok * c->n_head;
    for (;;) {
        const int64_t item = atomic_fetch_add(&c->next, 1);
        if (item >= total) break;
        const int64_t t = item / c->n_head;
        const int h = (int)(item % c->n_head);
        const int kvh = h / group;
        const int32_t p = c->pos[t];
        int32_t lo = 0;
        if (c->window > 0 && p - c->window + 1 > 0) lo = p - c->window + 1;
        const uint16_t *kb = c->k_cache + (int64_t)c->slot[t] * c->slot_stride + (int64_t)kvh * hd;
        const uint16_t *vb = c->v_cache + (int64_t)c->slot[t] * c->slot_stride + (int64_t)kvh * hd;
        // Q is rounded to f16 as ggml does before its f16 K·Q products.
        const float *qsrc = c->q + t * (int64_t)c->n_head * hd + (int64_t)h * hd;
        const int exact = c->exact_f32[t];
        if (exact) memcpy(qh, qsrc, sizeof(float) * hd);
        else for (int i = 0; i < hd; i++) qh[i] = ck_fp16_to_fp32(ck_fp32_to_fp16(qsrc[i]));
        if (!exact) {
            // llama.cpp's CPU flash attention for short query runs: Q in f16, online softmax,
            // V accumulated in f16 (rounded at every step). Matching it keeps greedy output in
            // step with llama.cpp's on near-tied logits.
            float M = -INFINITY, S = 0.0f;
            for (int i = 0; i < hd; i++) vk16[i] = 0;
            for (int32_t j = lo; j <= p; j++) {
                const uint16_t *kr = kb + (int64_t)j * kv_dim;
#if defined(__x86_64__)
                const float s = (fast ? dot_f16_avx2(qh, kr, hd) : dot_f16_scalar(qh, kr, hd)) * c->scale;
#else
                const float s = dot_f16_scalar(qh, kr, hd) * c->scale;
#endif
                float ms = 1.0f, vs = 1.0f;
                if (s > M) {
                    const float Mold = M;
                    M = s;
                    ms = expf(Mold - M);
                    scale_f16(vk16, ms, hd, fast);
                } else {
                    vs = expf(s - M);
                }
                mad_into_f16(vk16, vb + (int64_t)j * kv_dim, vs, hd, fast);
                S = S * ms + vs;
            }
            const float inv = S == 0.0f ? 0.0f : 1.0f / S;
            for (int i = 0; i < hd; i++) acc[i] = ck_fp16_to_fp32(vk16[i]) * inv;
        } else {
        float mx = -INFINITY;
        for (int32_t j = lo; j <= p; j++) {
            const uint16_t *kr = kb + (int64_t)j * kv_dim;
#if defined(__x86_64__)
            float s = fast ? dot_f16_avx2(qh, kr, hd) : dot_f16_scalar(qh, kr, hd);
#else
            float s = dot_f16_scalar(qh, kr, hd);
#endif
            s *= c->scale;
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
        }
        memcpy(c->out + t * (int64_t)c->n_head * hd + (int64_t)h * hd, acc, sizeof(float) * hd);
    }
}

void ck_attention(ck_pool *pool, const float *q, int64_t n_tok, int n_head, int n_kv_head, int head_dim,
                  const uint16_t *k_cache, const uint16_t *v_cache, int64_t slot_stride,
                  const int32_t *slot, const int32_t *pos, int32_t window, float scale,
                  float *scratch, float *out) {
    attn_ctx c = {
        .q = q, .n_tok = n_tok, .n_head = n_head, .n_kv_head = n_kv_head, .head_dim = head_dim,
        .k_cache = k_cache, .v_cache = v_cache, .slot_stride = slot_stride, .slot = slot, .pos = pos,
        .window = window, .scale = scale, .scratch = scratch, .out = out,
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
    atomic_init(&c.next, 0);
    ck_pool_run(pool, attention_task, &c);
    free(exact);
}

// ---- activations ----------------------------------------------------------------------------

static float silu(float x) { return x / (1.0f + expf(-x)); }

void ck_swiglu(const float *gate, const float *up, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = silu(gate[i]) * up[i];
}

static float gelu_table[65536];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void gelu_init(void) {
    const float a = 0.044715f, k = 0.79788456080286535587989211986876f;
    for (int i = 0; i < 65536; i++) {
        const float x = ck_fp16_to_fp32((uint16_t)i);
        const float g = 0.5f * x * (1.0f + tanhf(k * x * (1.0f + a * x * x)));
        gelu_table[i] = ck_fp16_to_fp32(ck_fp32_to_fp16(g));
    }
}

void ck_geglu(const float *gate, const float *up, float *out, int64_t n) {
    pthread_once(&gelu_once, gelu_init);
    for (int64_t i = 0; i < n; i++) {
        const float x = gate[i];
        float g;
        if (x <= -10.0f) g = 0.0f;
        else if (x >= 10.0f) g = x;
        else g = gelu_table[ck_fp32_to_fp16(x)];
        out[i] = g * up[i];
    }
}

void ck_add(const float *a, const float *b, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
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
