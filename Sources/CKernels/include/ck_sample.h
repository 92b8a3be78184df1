// CKernels sampling helpers: the passes over a vocabulary of logits that a sampler makes per
// token, vectorized, with the same results on every kernel family.
#pragma once
#include "ckernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Index of the first largest value of x[0..n) (NaNs ignored), and that value in *max; 0 and
/// -inf when no value is above -inf.
int64_t ck_argmax(const float *x, int64_t n, float *max);

/// The k largest values of x (1 <= k <= n; NaN counts as -inf) as a bounded min-heap keeps them (a value replaces the
/// heap's least only when strictly greater), then ordered by value descending, index ascending.
/// Writes k ids and values.
void ck_top_k(const float *x, int64_t n, int k, int32_t *ids, float *vals);

/// The candidates of a temperature draw: every i with x[i] >= floor, in index order, with weight
/// exp((x[i] - max) * inv_t) (ggml's polynomial exp, the same bits on every family). Writes ids
/// and weights (capacity n), returns their count, and their sum in *total (double, four
/// interleaved partial sums).
int64_t ck_sample_weights(const float *x, int64_t n, float max, float inv_t, float floor,
                          int32_t *ids, float *w, double *total);

/// Where a draw lands among weights w[0..count): r = u * (the sum of the weights >= cut), then
/// the weights >= cut (and > 0) are subtracted in index order until r drops below 0; whole blocks
/// of 64 at a time by their sums first. u in [0, 1). Returns the index into w, or -1 when no
/// weight counts.
int64_t ck_sample_draw(const float *w, int64_t count, float cut, double u);

/// Indices j of the weights above threshold (w[j] > threshold), in order, into out (capacity
/// count); returns how many, and their sum in *mass (double, four interleaved partial sums).
int64_t ck_sample_above(const float *w, int64_t count, float threshold, int32_t *out, double *mass);

#ifdef __cplusplus
}
#endif
