// CKernels: the CPU engine's hot loops in C, with runtime CPU-feature dispatch
// (AVX-512 VNNI / AVX-512BW / AVX2+FMA+F16C / scalar). Type ids are ggml's (see GGMLType).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

// ggml type ids used here
enum {
    CK_F32 = 0, CK_F16 = 1, CK_Q4_0 = 2, CK_Q4_1 = 3, CK_Q5_0 = 6, CK_Q5_1 = 7,
    CK_Q8_0 = 8, CK_Q8_1 = 9, CK_Q4_K = 12, CK_Q5_K = 13, CK_Q6_K = 14, CK_Q8_K = 15, CK_BF16 = 30,
};

// ---- CPU features -------------------------------------------------------------------------
enum { CK_FEAT_AVX2 = 1, CK_FEAT_AVX512 = 2, CK_FEAT_AVX512_VNNI = 4, CK_FEAT_F16C = 8 };
/// Features detected at run time (bitmask of CK_FEAT_*), masked by CK_DISABLE (see ck_set_isa_limit).
int ck_cpu_features(void);
/// Name of the kernel family in use: "avx512vnni", "avx512", "avx2", "scalar".
const char *ck_isa_name(void);
/// Force a lower kernel family (tests compare every family against scalar): 0 scalar, 1 avx2, 2 avx512, 3 avx512vnni.
/// Values above what the CPU has are clamped. Returns the family now in use.
int ck_set_isa_limit(int level);

// ---- half precision -----------------------------------------------------------------------
float ck_fp16_to_fp32(uint16_t h);
uint16_t ck_fp32_to_fp16(float f);
void ck_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n);
void ck_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n);

// ---- row formats --------------------------------------------------------------------------
/// Bytes taken by a row of n elements of `type` (n a multiple of the block size).
size_t ck_row_size(int type, int64_t n);
/// The type that activations are converted to before a dot product with weights of `type`
/// (ggml's vec_dot_type): Q4_0/Q5_0/Q8_0 -> Q8_0, Q4_1/Q5_1 -> Q8_1, K-quants -> Q8_K,
/// F16 -> F16, BF16 -> BF16, F32 -> F32.
int ck_vec_dot_type(int type);
/// Convert a row of n floats to `dot_type` (one of Q8_0, Q8_1, Q8_K, F16, BF16, F32), as ggml does.
void ck_quantize_row(int dot_type, const float *x, void *y, int64_t n);
/// Dequantize a row of n elements of `type` to floats (bit-exact with ggml's dequantize_row_*).
void ck_dequantize_row(int type, const void *x, float *y, int64_t n);
/// Dot product of one weight row of `type` with one activation row already in ck_vec_dot_type(type).
float ck_vec_dot(int type, int64_t n, const void *w, const void *x);

// ---- thread pool --------------------------------------------------------------------------
typedef struct ck_pool ck_pool;
/// A pool of n_threads (the caller counts as thread 0; n_threads-1 workers are started).
/// Workers spin briefly between jobs, then sleep, so back-to-back small jobs cost microseconds.
ck_pool *ck_pool_create(int n_threads);
void ck_pool_destroy(ck_pool *pool);
int ck_pool_size(const ck_pool *pool);
typedef void (*ck_task_fn)(void *ctx, int ith, int nth);
/// Run fn(ctx, ith, nth) on every thread of the pool (the caller is ith 0) and return when all are done.
void ck_pool_run(ck_pool *pool, ck_task_fn fn, void *ctx);
/// fn(ctx, i) for every i in [0, n), spread over the pool's threads as they come free (the caller
/// takes part); returns when all are done.
void ck_pool_for(ck_pool *pool, int64_t n, void (*fn)(void *ctx, int64_t i), void *ctx);

// ---- matrix products ----------------------------------------------------------------------
/// out[t * out_stride + r] = dot(weight row r, activation row t) for r < rows, t < n_tok.
/// w: rows rows of n elements of `type`, contiguous. xq: n_tok rows in ck_vec_dot_type(type),
/// each ck_row_size(dot_type, n) bytes, contiguous. Parallel over the pool; weights are read
/// once per group of tokens (batched decode and prefill are the point).
void ck_matmul_q(ck_pool *pool, int type, const void *w, int64_t n, int64_t rows,
                 const void *xq, int64_t n_tok, float *out, int64_t out_stride);
/// Same from float activations x (n_tok rows of n floats, row stride x_stride floats): converts
/// them into `scratch` (at least n_tok * ck_row_size(ck_vec_dot_type(type), n) bytes) in parallel first.
void ck_matmul(ck_pool *pool, int type, const void *w, int64_t n, int64_t rows,
               const float *x, int64_t x_stride, int64_t n_tok, void *scratch,
               float *out, int64_t out_stride);

#ifdef __cplusplus
}
#endif
