// Sampling passes over the logits. See ck_sample.h.
#include "ck_sample.h"
#include "ck_internal.h"
#include "ck_vexp.h"

#include <stdlib.h>

#pragma STDC FP_CONTRACT OFF

// ---- arg-max --------------------------------------------------------------------------------

static float max_scalar(const float *x, int64_t n) {
    float m = -INFINITY;
    for (int64_t i = 0; i < n; i++) if (x[i] > m) m = x[i];
    return m;
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static float max_avx2(const float *x, int64_t n, int64_t *done) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    int64_t i = 0;
    // x > m keeps m where x is NaN (the comparison is false), as the scalar loop does.
    for (; i + 16 <= n; i += 16) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        m0 = _mm256_blendv_ps(m0, a, _mm256_cmp_ps(a, m0, _CMP_GT_OQ));
        m1 = _mm256_blendv_ps(m1, b, _mm256_cmp_ps(b, m1, _CMP_GT_OQ));
    }
    m0 = _mm256_max_ps(m0, m1);   // no NaN left in m0, m1
    float lanes[8];
    _mm256_storeu_ps(lanes, m0);
    *done = i;
    return max_scalar(lanes, 8);
}
#endif

#if defined(__x86_64__)
// Where the search for the first x[i] == m goes on: the start of the first block of 8 holding one.
__attribute__((target("avx2")))
static int64_t first_equal_avx2(const float *x, int64_t n, float m) {
    const __m256 v = _mm256_set1_ps(m);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), v, _CMP_EQ_OQ))) return i;
    return i;
}
#endif

int64_t ck_argmax(const float *x, int64_t n, float *max) {
    float m;
    int64_t i0 = 0;
#if defined(__x86_64__)
    if (ck_cpu_features() & CK_FEAT_AVX2) {
        m = max_avx2(x, n, &i0);
        const float rest = max_scalar(x + i0, n - i0);
        if (rest > m) m = rest;
    } else
#endif
        m = max_scalar(x, n);
    *max = m;
    if (m == -INFINITY) return 0;
    int64_t i = 0;
#if defined(__x86_64__)
    if (ck_cpu_features() & CK_FEAT_AVX2) i = first_equal_avx2(x, n, m);
#endif
    for (; i < n; i++) if (x[i] == m) return i;
    return 0;
}

// ---- top-k ----------------------------------------------------------------------------------

typedef struct { int32_t *id; float *v; int count; } heap_t;

static void heap_swap(heap_t *h, int a, int b) {
    const int32_t ti = h->id[a]; h->id[a] = h->id[b]; h->id[b] = ti;
    const float tv = h->v[a]; h->v[a] = h->v[b]; h->v[b] = tv;
}

static void heap_push(heap_t *h, int32_t id, float v) {
    int c = h->count++;
    h->id[c] = id; h->v[c] = v;
    while (c > 0) {
        const int parent = (c - 1) / 2;
        if (h->v[parent] <= h->v[c]) break;
        heap_swap(h, parent, c);
        c = parent;
    }
}

static void heap_replace_top(heap_t *h, int32_t id, float v) {
    h->id[0] = id; h->v[0] = v;
    int i = 0;
    for (;;) {
        const int l = 2 * i + 1, r = l + 1;
        int m = i;
        if (l < h->count && h->v[l] < h->v[m]) m = l;
        if (r < h->count && h->v[r] < h->v[m]) m = r;
        if (m == i) return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void top_k_scalar(heap_t *h, const float *x, int64_t from, int64_t n) {
    for (int64_t i = from; i < n; i++) if (x[i] > h->v[0]) heap_replace_top(h, (int32_t)i, x[i]);
}

#if defined(__x86_64__)
// Once the heap is full, most blocks of 8 hold nothing above its least value: one comparison skips them.
__attribute__((target("avx2")))
static int64_t top_k_avx2(heap_t *h, const float *x, int64_t from, int64_t n) {
    int64_t i = from;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        int mask = _mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(h->v[0]), _CMP_GT_OQ));
        while (mask) {
            const int j = __builtin_ctz(mask);
            mask &= mask - 1;
            if (x[i + j] > h->v[0]) heap_replace_top(h, (int32_t)(i + j), x[i + j]);
        }
    }
    return i;
}
#endif

typedef struct { int32_t id; float v; } pair_t;

static int by_value_then_id(const void *a, const void *b) {
    const pair_t *p = a, *q = b;
    if (p->v > q->v) return -1;
    if (p->v < q->v) return 1;
    // equal, or unordered (NaN): fall back to the id, as the Swift sampler's sort does for equals
    return (p->id > q->id) - (p->id < q->id);
}

void ck_top_k(const float *x, int64_t n, int k, int32_t *ids, float *vals) {
    if (k <= 0 || n <= 0) return;
    if (k > n) k = (int)n;
    heap_t h = {.id = ids, .v = vals, .count = 0};
    int64_t i = 0;
    // A NaN logit (a broken model) counts as -inf: it must not freeze the heap's least value.
    for (; i < k; i++) heap_push(&h, (int32_t)i, x[i] == x[i] ? x[i] : -INFINITY);
#if defined(__x86_64__)
    if (ck_cpu_features() & CK_FEAT_AVX2) i = top_k_avx2(&h, x, i, n);
#endif
    top_k_scalar(&h, x, i, n);
    pair_t stack[256];   // top-k is usually tens: no allocation per token
    pair_t *p = k <= 256 ? stack : malloc(sizeof(pair_t) * (size_t)k);
    if (!p) return;
    for (int j = 0; j < k; j++) { p[j].id = ids[j]; p[j].v = vals[j]; }
    qsort(p, (size_t)k, sizeof(pair_t), by_value_then_id);
    for (int j = 0; j < k; j++) { ids[j] = p[j].id; vals[j] = p[j].v; }
    if (p != stack) free(p);
}

// ---- temperature weights --------------------------------------------------------------------

static int64_t weights_scalar(const float *x, int64_t from, int64_t n, float max, float inv_t, float floor,
                              int32_t *ids, float *w, int64_t count) {
    for (int64_t i = from; i < n; i++) {
        if (!(x[i] >= floor)) continue;
        ids[count] = (int32_t)i;
        w[count] = v_expf_scalar((x[i] - max) * inv_t);
        count++;
    }
    return count;
}

#if defined(__x86_64__)
// Left-packing permutations for the 256 masks of 8 lanes (AVX2 has no compress-store).
static int32_t pack_lut[256][8];
static void pack_lut_init(void) {
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int j = 0; j < 8; j++) if (m >> j & 1) pack_lut[m][k++] = j;
        for (; k < 8; k++) pack_lut[m][k] = 0;
    }
}
#include <pthread.h>
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;

__attribute__((target("avx2,fma")))
static int64_t weights_avx2(const float *x, int64_t n, float max, float inv_t, float floor,
                            int32_t *ids, float *w, int64_t *done) {
    pthread_once(&pack_once, pack_lut_init);
    const __m256 vmax = _mm256_set1_ps(max), vinv = _mm256_set1_ps(inv_t), vfloor = _mm256_set1_ps(floor);
    const __m256i step = _mm256_set1_epi32(8);
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int64_t count = 0, i = 0;
    for (; i + 8 <= n; i += 8, idx = _mm256_add_epi32(idx, step)) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const int mask = _mm256_movemask_ps(_mm256_cmp_ps(v, vfloor, _CMP_GE_OQ));
        if (!mask) continue;
        const __m256 e = v_expf_256(_mm256_mul_ps(_mm256_sub_ps(v, vmax), vinv));
        const __m256i perm = _mm256_loadu_si256((const __m256i *)pack_lut[mask]);
        _mm256_storeu_si256((__m256i *)(ids + count), _mm256_permutevar8x32_epi32(idx, perm));
        _mm256_storeu_ps(w + count, _mm256_permutevar8x32_ps(e, perm));
        count += __builtin_popcount((unsigned)mask);
    }
    *done = i;
    return count;
}

__attribute__((target("avx2")))
static int64_t above_avx2(const float *w, int64_t n, float threshold, int32_t *out, int64_t *done) {
    pthread_once(&pack_once, pack_lut_init);
    const __m256 t = _mm256_set1_ps(threshold);
    const __m256i step = _mm256_set1_epi32(8);
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int64_t k = 0, i = 0;
    for (; i + 8 <= n; i += 8, idx = _mm256_add_epi32(idx, step)) {
        const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(w + i), t, _CMP_GT_OQ));
        if (!mask) continue;
        const __m256i perm = _mm256_loadu_si256((const __m256i *)pack_lut[mask]);
        _mm256_storeu_si256((__m256i *)(out + k), _mm256_permutevar8x32_epi32(idx, perm));
        k += __builtin_popcount((unsigned)mask);
    }
    *done = i;
    return k;
}
#endif

int64_t ck_sample_weights(const float *x, int64_t n, float max, float inv_t, float floor,
                          int32_t *ids, float *w, double *total) {
    int64_t count = 0, i = 0;
#if defined(__x86_64__)
    // The packed stores write 8 lanes past the count: only while 8 lanes of room remain.
    if ((ck_cpu_features() & CK_FEAT_AVX2) && n >= 8) count = weights_avx2(x, n - 8, max, inv_t, floor, ids, w, &i);
#endif
    count = weights_scalar(x, i, n, max, inv_t, floor, ids, w, count);
    double s[4] = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 4 <= count; j += 4)
        for (int l = 0; l < 4; l++) s[l] += (double)w[j + l];
    for (int l = 0; j < count; j++, l++) s[l] += (double)w[j];
    *total = (s[0] + s[1]) + (s[2] + s[3]);
    return count;
}

// ---- the draw -------------------------------------------------------------------------------

#define DRAW_BLOCK 64

// Sum of the weights >= cut of one block, in eight interleaved float partial sums (a fixed order,
// so every build adds the same way).
static double block_sum(const float *w, int64_t n, float cut) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++) { const float v = w[j + l]; acc[l] += v >= cut ? v : 0.0f; }
    for (int l = 0; j < n; j++, l++) { const float v = w[j]; acc[l] += v >= cut ? v : 0.0f; }
    return (double)(((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
}

int64_t ck_sample_draw(const float *w, int64_t count, float cut, double u) {
    if (count <= 0) return -1;
    const int64_t nb = (count + DRAW_BLOCK - 1) / DRAW_BLOCK;
    double stack[1024];
    double *sums = nb <= 1024 ? stack : malloc(sizeof(double) * (size_t)nb);
    if (!sums) return -1;
    double kept = 0;
    for (int64_t b = 0; b < nb; b++) {
        const int64_t lo = b * DRAW_BLOCK, n = count - lo < DRAW_BLOCK ? count - lo : DRAW_BLOCK;
        sums[b] = block_sum(w + lo, n, cut);
        kept += sums[b];
    }
    double r = u * kept;
    int64_t found = -1;
    for (int64_t b = 0; b < nb && found < 0; b++) {
        if (r >= sums[b] && b + 1 < nb) { r -= sums[b]; continue; }
        // The draw lands in this block (or rounding carried it past the block sums: walk on).
        for (int64_t j = b * DRAW_BLOCK; j < count; j++) {
            const float v = w[j];
            if (!(v >= cut && v > 0)) continue;
            r -= (double)v;
            if (r < 0) { found = j; break; }
        }
        break;
    }
    if (sums != stack) free(sums);
    if (found < 0)   // rounding: the last weight that counts
        for (int64_t j = count - 1; j >= 0 && found < 0; j--) if (w[j] >= cut && w[j] > 0) found = j;
    return found;
}

// ---- thresholds -----------------------------------------------------------------------------

int64_t ck_sample_above(const float *w, int64_t count, float threshold, int32_t *out, double *mass) {
    int64_t k = 0, j = 0;
#if defined(__x86_64__)
    if ((ck_cpu_features() & CK_FEAT_AVX2) && count >= 16) k = above_avx2(w, count - 8, threshold, out, &j);
#endif
    for (; j < count; j++) if (w[j] > threshold) out[k++] = (int32_t)j;
    double s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= k; i += 4)
        for (int l = 0; l < 4; l++) s[l] += (double)w[out[i + l]];
    for (int l = 0; i < k; i++, l++) s[l] += (double)w[out[i]];
    *mass = (s[0] + s[1]) + (s[2] + s[3]);
    return k;
}
