// Memory read bandwidth, the bound that single-sequence decode is judged against.
#include "ck_ops.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct {
    const uint8_t *buf;
    int64_t bytes;
    int reps;
    double sink[64];
} bw_ctx;

#if defined(__x86_64__)
__attribute__((target("avx2")))
static uint64_t read_avx2(const uint8_t *p, int64_t n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i + 128 <= n; i += 128) {
        a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *)(p + i)));
        a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *)(p + i + 32)));
        a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *)(p + i + 64)));
        a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    a0 = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
    return (uint64_t)_mm256_extract_epi64(a0, 0);
}
#endif

static uint64_t read_scalar(const uint8_t *p, int64_t n) {
    uint64_t s = 0;
    for (int64_t i = 0; i + 8 <= n; i += 8) { uint64_t v; memcpy(&v, p + i, 8); s ^= v; }
    return s;
}

static void bw_task(void *vctx, int ith, int nth) {
    bw_ctx *c = (bw_ctx *)vctx;
    const int64_t share = (c->bytes / nth) & ~(int64_t)127;
    const uint8_t *p = c->buf + share * ith;
    uint64_t s = 0;
    for (int r = 0; r < c->reps; r++) {
#if defined(__x86_64__)
        s ^= (ck_cpu_features() & CK_FEAT_AVX2) ? read_avx2(p, share) : read_scalar(p, share);
#else
        s ^= read_scalar(p, share);
#endif
    }
    c->sink[ith % 64] = (double)s;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double ck_read_bandwidth(ck_pool *pool, int64_t bytes, int reps) {
    uint8_t *buf = aligned_alloc(64, (size_t)bytes);
    if (!buf) return 0;
    memset(buf, 1, (size_t)bytes);
    bw_ctx c = {.buf = buf, .bytes = bytes, .reps = 1};
    ck_pool_run(pool, bw_task, &c);  // warm up: fault in, spin up the workers
    c.reps = reps;
    const double t0 = now_seconds();
    ck_pool_run(pool, bw_task, &c);
    const double dt = now_seconds() - t0;
    free(buf);
    const int nth = ck_pool_size(pool);
    return (double)(((bytes / nth) & ~(int64_t)127) * nth) * reps / dt;
}
