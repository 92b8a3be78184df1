// Public entry points: CPU-feature detection and dispatch, fp16 conversion, row formats,
// vec_dot and the parallel matrix products.
#include "ck_internal.h"
#include <stdatomic.h>
#include <stdlib.h>

// ---- CPU features and the kernel family in use ----------------------------------------------

static int detected_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    int level = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) level = 2;
    if (level == 2 && __builtin_cpu_supports("avx512vnni")) level = 3;
    const char *dis = getenv("CK_DISABLE");   // e.g. CK_DISABLE=avx512vnni caps the family below it
    if (dis) {
        if (strstr(dis, "avx2") && level > 0) level = 0;
        else if (strstr(dis, "avx512vnni") && level > 2) level = 2;
        else if (strstr(dis, "avx512") && level > 1) level = 1;
    }
    return level;
#else
    return 0;
#endif
}

static _Atomic int g_level = -1;    // family in use
static _Atomic int g_max = -1;      // best family the CPU has

static int cur_level(void) {
    int l = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (l < 0) {
        int m = detected_level();
        atomic_store(&g_max, m);
        atomic_store(&g_level, m);
        l = m;
    }
    return l;
}

int ck_set_isa_limit(int level) {
    cur_level();
    const int m = atomic_load(&g_max);
    if (level < 0) level = 0;
    if (level > m) level = m;
    atomic_store(&g_level, level);
    return level;
}

int ck_cpu_features(void) {
    const int l = cur_level();
    int f = 0;
    if (l >= 1) f |= CK_FEAT_AVX2 | CK_FEAT_F16C;
    if (l >= 2) f |= CK_FEAT_AVX512;
    if (l >= 3) f |= CK_FEAT_AVX512_VNNI;
    return f;
}

const char *ck_isa_name(void) {
    static const char *names[] = {"scalar", "avx2", "avx512", "avx512vnni"};
    return names[cur_level()];
}

static ck_tile_fn tile_for(int type) {
    switch (cur_level()) {
    case 3: return ck_tile_vnni(type);
    case 2: return ck_tile_avx512(type);
    case 1: return ck_tile_avx2(type);
    default: return NULL;
    }
}

static ck_gemm8_fn gemm8_for(int type, int half) {
    switch (cur_level()) {
    case 3: return ck_gemm8_vnni(type, half);
    case 2: return ck_gemm8_avx512(type, half);
    case 1: return ck_gemm8_avx2(type, half);
    default: return NULL;
    }
}

static ck_unpack_fn unpack_for(int type) {
    switch (cur_level()) {
    case 3: return ck_unpack_vnni(type);
    case 2: return ck_unpack_avx512(type);
    case 1: return ck_unpack_avx2(type);
    default: return NULL;
    }
}

// ---- half precision -------------------------------------------------------------------------

float ck_fp16_to_fp32(uint16_t h) { return ck_h2f(h); }
uint16_t ck_fp32_to_fp16(float f) { return ck_f2h(f); }
void ck_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = ck_h2f(x[i]); }
void ck_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = ck_f2h(x[i]); }

// ---- row formats ----------------------------------------------------------------------------

size_t ck_row_size(int type, int64_t n) {
    const int be = ck_block_elems(type);
    return be ? (size_t)(n / be) * ck_block_bytes(type) : 0;
}

int ck_vec_dot_type(int type) {
    switch (type) {
    case CK_Q4_0: case CK_Q5_0: case CK_Q8_0: return CK_Q8_0;
    case CK_Q4_1: case CK_Q5_1: return CK_Q8_1;
    case CK_Q4_K: case CK_Q5_K: case CK_Q6_K: return CK_Q8_K;
    case CK_F16: return CK_F16;
    case CK_BF16: return CK_BF16;
    default: return CK_F32;
    }
}

void ck_quantize_row(int dot_type, const float *x, void *y, int64_t n) {
    if (cur_level() >= 1 && ck_quantize_row_avx2(dot_type, x, y, n)) return;
    ck_scalar_quantize(dot_type, x, y, n);
}
void ck_dequantize_row(int type, const void *x, float *y, int64_t n) { ck_scalar_dequantize(type, x, y, n); }

float ck_vec_dot(int type, int64_t n, const void *w, const void *x) {
    ck_tile_fn tile = tile_for(type);
    if (!tile) return ck_scalar_vec_dot(type, n, w, x);
    float out;
    tile(n, w, 0, 1, x, 0, 1, &out, 1);
    return out;
}

// ---- matrix products ------------------------------------------------------------------------

typedef struct {
    int type;
    ck_tile_fn tile;                // NULL: scalar vec_dot per element
    ck_unpack_fn unpack;            // non-NULL: unpack each row tile once, then run tile_unpacked
    ck_tile_fn tile_unpacked;
    ck_gemm8_fn gemm8;              // non-NULL: the interleaved GEMM over each row tile (unpacked first if unpack is set)
    ck_gemm8_fn gemm4;              // non-NULL: the last group holds 1..4 tokens, interleaved twice over
    uint8_t *xi;                    // gemm8: the activations interleaved by 8 tokens (CK_X8_BLOCK)
    const uint8_t *w; size_t wrs;
    int64_t n, rows;
    const float *x; int64_t x_stride; // ck_matmul only: float activations to convert first
    uint8_t *xq; size_t xrs;
    int64_t n_tok;
    float *out; int64_t os;
    int64_t chunk_rows, n_chunks;
    _Alignas(64) _Atomic int64_t next_chunk;
    _Alignas(64) _Atomic int64_t next_tok;   // activation rows handed out for conversion
    _Alignas(64) _Atomic int64_t tok_done;   // activation rows converted
} matmul_ctx;

size_t ck_unpacked_row_size(int type, int64_t n) {
    switch (type) {
    case CK_Q4_0: case CK_Q5_0: case CK_Q4_1: case CK_Q5_1: return (size_t)(n / CK_QK) * sizeof(ck_block_u8);
    case CK_Q4_K: case CK_Q5_K: return (size_t)(n / CK_QK_K) * sizeof(ck_block_u8k);
    case CK_Q6_K: return (size_t)(n / CK_QK_K) * sizeof(ck_block_u8k6);
    default: return 0;
    }
}

// A thread's buffer, grown as needed and kept for the thread's life: one for an unpacked row tile
// (every pool thread), one for interleaved activations (the thread that calls the matmul).
typedef struct { uint8_t *buf; size_t cap; } grow_buffer;
static uint8_t *grow(grow_buffer *g, size_t bytes) {
    if (bytes > g->cap) {
        free(g->buf);
        g->cap = 0;
        g->buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (g->buf) g->cap = bytes;
    }
    return g->buf;
}
static uint8_t *unpack_buffer(size_t bytes) {
    static _Thread_local grow_buffer b;
    return grow(&b, bytes);
}
static uint8_t *interleave_buffer(size_t bytes) {
    static _Thread_local grow_buffer b;
    return grow(&b, bytes);
}

// Token t's Q8_0 or Q8_1 row into its lane of the interleaved layout (ck_internal.h): the values,
// d, and then the sum of the values (Q8_0, int32) or s (Q8_1, float).
// twice: also into lane + 4 (a half group, read two rows per register).
static void interleave_row(int dot_type, const uint8_t *row, int64_t nb, int64_t t, int twice, uint8_t *xi) {
    const int lane = (int)(t % CK_X8_TOKENS);
    uint8_t *blk = xi + (size_t)(t / CK_X8_TOKENS) * (size_t)nb * CK_X8_BLOCK;   // nb blocks a group
    for (int64_t b = 0; b < nb; b++, blk += CK_X8_BLOCK) {
        const int8_t *qs; float d;
        if (dot_type == CK_Q8_1) {
            const ck_block_q8_1 *xb = (const ck_block_q8_1 *)row + b;
            qs = xb->qs; d = ck_h2f(xb->d);
            const float s = ck_h2f(xb->s);
            memcpy(blk + CK_X8_S + 4 * lane, &s, 4);
        } else {
            const ck_block_q8_0 *xb = (const ck_block_q8_0 *)row + b;
            qs = xb->qs; d = ck_h2f(xb->d);
            int32_t sum = 0;
            for (int k = 0; k < CK_QK; k++) sum += qs[k];
            memcpy(blk + CK_X8_S + 4 * lane, &sum, 4);
        }
        for (int j = 0; j < 8; j++) memcpy(blk + 32 * j + 4 * lane, qs + 4 * j, 4);
        memcpy(blk + CK_X8_D + 4 * lane, &d, 4);
        if (twice) {
            for (int j = 0; j < 8; j++) memcpy(blk + 32 * j + 4 * (lane + 4), blk + 32 * j + 4 * lane, 4);
            memcpy(blk + CK_X8_D + 4 * (lane + 4), blk + CK_X8_D + 4 * lane, 4);
            memcpy(blk + CK_X8_S + 4 * (lane + 4), blk + CK_X8_S + 4 * lane, 4);
        }
    }
}

static void matmul_chunk(const matmul_ctx *c, int64_t chunk) {
    const int64_t r0 = chunk * c->chunk_rows;
    const int64_t r1 = r0 + c->chunk_rows < c->rows ? r0 + c->chunk_rows : c->rows;
    const size_t urs = ck_unpacked_row_size(c->type, c->n);
    uint8_t *ubuf = c->unpack ? unpack_buffer(CK_TILE_R * urs) : NULL;
    for (int64_t r = r0; r < r1; r += CK_TILE_R) {
        const int nr = (int)(r1 - r < CK_TILE_R ? r1 - r : CK_TILE_R);
        const uint8_t *w = c->w + (size_t)r * c->wrs;
        if (c->gemm8) {   // the rows as stored (Q8_0) or unpacked once, then read from cache by each group
            const uint8_t *rw = w; size_t rs = c->wrs;
            if (ubuf) { c->unpack(c->n, w, c->wrs, nr, ubuf); rw = ubuf; rs = urs; }
            for (int64_t t = 0; t < c->n_tok; t += CK_X8_TOKENS) {
                const int nt = (int)(c->n_tok - t < CK_X8_TOKENS ? c->n_tok - t : CK_X8_TOKENS);
                const ck_gemm8_fn g = nt <= CK_X8_TOKENS / 2 && c->gemm4 ? c->gemm4 : c->gemm8;
                g(c->n, rw, rs, nr, c->xi + (size_t)(t / CK_X8_TOKENS) * ck_x8_group_bytes(c->n), nt,
                  c->out + t * c->os + r, c->os);
            }
            continue;
        }
        if (ubuf) {   // several token groups: unpack the rows once, then read them from cache
            c->unpack(c->n, w, c->wrs, nr, ubuf);
            for (int64_t t = 0; t < c->n_tok; t += CK_TILE_T) {
                const int nt = (int)(c->n_tok - t < CK_TILE_T ? c->n_tok - t : CK_TILE_T);
                c->tile_unpacked(c->n, ubuf, urs, nr, c->xq + (size_t)t * c->xrs, c->xrs, nt,
                                 c->out + t * c->os + r, c->os);
            }
            continue;
        }
        for (int64_t t = 0; t < c->n_tok; t += CK_TILE_T) {
            const int nt = (int)(c->n_tok - t < CK_TILE_T ? c->n_tok - t : CK_TILE_T);
            const uint8_t *x = c->xq + (size_t)t * c->xrs;
            float *out = c->out + t * c->os + r;
            if (c->tile) {
                c->tile(c->n, w, c->wrs, nr, x, c->xrs, nt, out, c->os);
            } else {
                for (int i = 0; i < nr; i++)
                    for (int j = 0; j < nt; j++)
                        out[j * c->os + i] = ck_scalar_vec_dot(c->type, c->n, w + i * c->wrs, x + j * c->xrs);
            }
        }
    }
}

static void matmul_task(void *p, int ith, int nth) {
    matmul_ctx *c = p;
    (void)ith; (void)nth;
    if (c->x || c->xi) {   // convert activation rows (shared counter), then wait until every row is converted
        const int dt = ck_vec_dot_type(c->type);
        for (int64_t t = atomic_fetch_add(&c->next_tok, 1); t < c->n_tok; t = atomic_fetch_add(&c->next_tok, 1)) {
            uint8_t *row = c->xq + (size_t)t * c->xrs;
            if (c->x) ck_quantize_row(dt, c->x + t * c->x_stride, row, c->n);
            if (c->xi) interleave_row(dt, row, c->n / CK_QK, t, c->gemm4 && t >= c->n_tok / CK_X8_TOKENS * CK_X8_TOKENS, c->xi);
            atomic_fetch_add(&c->tok_done, 1);
        }
        while (atomic_load_explicit(&c->tok_done, memory_order_acquire) != c->n_tok) {
#if defined(__x86_64__)
            __builtin_ia32_pause();
#endif
        }
    }
    // Every chunk comes from the shared counter: a thread that starts late (descheduled) finds the
    // work already taken instead of holding everyone up with a statically assigned chunk.
    for (int64_t chunk = atomic_fetch_add(&c->next_chunk, 1); chunk < c->n_chunks;
         chunk = atomic_fetch_add(&c->next_chunk, 1))
        matmul_chunk(c, chunk);
}

static void matmul_run(ck_pool *pool, matmul_ctx *c) {
    const int nth = ck_pool_size(pool);
    c->tile = tile_for(c->type);
    // More than one tile's worth of tokens: the interleaved GEMM where the type has one (its rows
    // unpacked first where the type needs it), else the rows unpacked once for the tiles where that pays.
    if (c->tile && c->n_tok > CK_TILE_T) {
        c->unpack = unpack_for(c->type);
        c->gemm8 = gemm8_for(c->type, 0);
        // a last group of 1..4 tokens: two rows per register instead of half the lanes idle
        if (c->gemm8 && c->n_tok % CK_X8_TOKENS && c->n_tok % CK_X8_TOKENS <= CK_X8_TOKENS / 2)
            c->gemm4 = gemm8_for(c->type, 1);
        c->tile_unpacked = c->unpack && !c->gemm8 ? tile_for(CK_UNPACKED(c->type)) : NULL;
        if (!c->tile_unpacked && !c->gemm8) c->unpack = NULL;
    }
    c->wrs = ck_row_size(c->type, c->n);
    c->xrs = ck_row_size(ck_vec_dot_type(c->type), c->n);
    if (c->gemm8) {
        const int64_t groups = (c->n_tok + CK_X8_TOKENS - 1) / CK_X8_TOKENS;
        const size_t group_bytes = ck_x8_group_bytes(c->n);
        c->xi = interleave_buffer((size_t)groups * group_bytes);
        if (!c->xi) {   // no memory for it: the tiles compute the same figures
            c->gemm8 = NULL; c->gemm4 = NULL; c->unpack = NULL;
        } else if (c->n_tok % CK_X8_TOKENS) {
            memset(c->xi + (size_t)(groups - 1) * group_bytes, 0, group_bytes);   // absent tokens are zero
        }
    }
    // Chunks: about 8 per thread for balance, a multiple of the tile height, and smaller when
    // there are many tokens (work per row grows with n_tok).
    const int64_t tok_groups = (c->n_tok + CK_TILE_T - 1) / CK_TILE_T;
    int64_t chunk = c->rows / (nth * 8);
    const int64_t cap = 256 / tok_groups;
    if (chunk > cap) chunk = cap;
    chunk = (chunk + CK_TILE_R - 1) / CK_TILE_R * CK_TILE_R;
    if (chunk < CK_TILE_R) chunk = CK_TILE_R;
    c->chunk_rows = chunk;
    c->n_chunks = (c->rows + chunk - 1) / chunk;
    atomic_store(&c->next_chunk, 0);
    atomic_store(&c->next_tok, 0);
    atomic_store(&c->tok_done, 0);
    if (nth == 1 || c->n_chunks == 1) {
        if (c->x || c->xi) matmul_task(c, 0, 1);
        else for (int64_t i = 0; i < c->n_chunks; i++) matmul_chunk(c, i);
        return;
    }
    ck_pool_run_dynamic(pool, matmul_task, c);
}

void ck_matmul_q(ck_pool *pool, int type, const void *w, int64_t n, int64_t rows,
                 const void *xq, int64_t n_tok, float *out, int64_t out_stride) {
    if (rows <= 0 || n_tok <= 0) return;
    matmul_ctx c = {.type = type, .w = w, .n = n, .rows = rows, .xq = (uint8_t *)xq,
                    .n_tok = n_tok, .out = out, .os = out_stride};
    matmul_run(pool, &c);
}

void ck_matmul(ck_pool *pool, int type, const void *w, int64_t n, int64_t rows,
               const float *x, int64_t x_stride, int64_t n_tok, void *scratch,
               float *out, int64_t out_stride) {
    if (rows <= 0 || n_tok <= 0) return;
    matmul_ctx c = {.type = type, .w = w, .n = n, .rows = rows, .xq = scratch,
                    .n_tok = n_tok, .out = out, .os = out_stride};
    if (n_tok == 1) {   // one row: not worth a parallel conversion step
        ck_quantize_row(ck_vec_dot_type(type), x, scratch, n);
    } else {
        c.x = x; c.x_stride = x_stride;
    }
    matmul_run(pool, &c);
}
