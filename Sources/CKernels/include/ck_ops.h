// CKernels ops: the non-matmul steps of a transformer forward pass (norms, RoPE, attention over
// a slotted f16 KV cache, gated activations), with ggml's numerics where they matter for
// agreeing with llama.cpp's greedy output.
#pragma once
#include "ckernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// y[t] = x[t] / sqrt(mean(x[t]^2) + eps) * w for n_rows rows of n (x == y allowed); w may be NULL.
void ck_rms_norm(const float *x, const float *w, float *y, int64_t n, int64_t n_rows, float eps);

enum { CK_ROPE_NORMAL = 0, CK_ROPE_NEOX = 2 };
/// Rotate n_heads heads of head_dim in each of n_rows rows (row stride row_stride floats) in place,
/// row t with the cos/sin pairs of table row t (head_dim floats, (cos, sin) per pair: Engine's
/// RopeSpec fills it): NORMAL rotates adjacent pairs, NEOX the two halves.
void ck_rope_apply(float *x, int64_t n_rows, int64_t row_stride, int n_heads, int head_dim, const float *table, int mode);

/// One layer's attention for a batch of tokens over a slotted f16 KV cache.
/// q: n_tok rows of n_head*head_dim floats. k_cache/v_cache: this layer's cache, slot s at
/// offset s*slot_stride elements, position p at p*kv_dim within it (kv_dim = n_kv_head*head_dim).
/// Token t (slot[t], pos[t]) attends to positions 0...pos[t] of its slot, or only those with
/// pos[t] - p < window when window > 0. Scores are scaled by `scale`, then, when softcap > 0,
/// soft-capped: softcap * tanh(score / softcap) (gemma2). out: n_tok rows like q.
/// scratch: at least ck_attention_scratch_floats(pool, max_ctx) floats.
int64_t ck_attention_scratch_floats(const ck_pool *pool, int64_t max_ctx, int head_dim);
void ck_attention(ck_pool *pool, const float *q, int64_t n_tok, int n_head, int n_kv_head, int head_dim,
                  const uint16_t *k_cache, const uint16_t *v_cache, int64_t slot_stride,
                  const int32_t *slot, const int32_t *pos, int32_t window, float scale, float softcap,
                  float *scratch, float *out);

/// Write n_tok rows of kv_dim floats into a layer's f16 cache at (slot[t], pos[t]).
void ck_store_kv(const float *x, int64_t n_tok, int64_t kv_dim, uint16_t *cache, int64_t slot_stride,
                 const int32_t *slot, const int32_t *pos);

/// out = silu(gate) * up, element-wise over n values.
void ck_swiglu(const float *gate, const float *up, float *out, int64_t n);
/// out = gelu_tanh(gate) * up, gelu evaluated as ggml's f16 table does.
void ck_geglu(const float *gate, const float *up, float *out, int64_t n);
/// y = a + b over n values (y may alias a or b).
void ck_add(const float *a, const float *b, float *y, int64_t n);
/// x *= s over n values.
void ck_scale(float *x, int64_t n, float s);
/// Each of n_rows rows of x (width floats) += row (a bias).
void ck_add_rows(float *x, int64_t n_rows, int64_t width, const float *row);
/// x = tanh(x / cap) * cap over n values (gemma2's soft-capping).
void ck_softcap(float *x, int64_t n, float cap);
/// Rows of a (possibly quantized) matrix gathered into floats: y[i] = dequant(row ids[i]).
void ck_get_rows(int type, const void *w, int64_t n, const int32_t *ids, int64_t n_ids, float *y);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
/// Measured read bandwidth in bytes per second: every pool thread streams its share of a
/// `bytes`-sized buffer `reps` times (the figure decode speed is judged against).
double ck_read_bandwidth(ck_pool *pool, int64_t bytes, int reps);
#ifdef __cplusplus
}
#endif
