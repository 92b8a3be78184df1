// AVX2 + FMA + F16C kernel family.
#if defined(__x86_64__)
#define CK_FAMILY_FN ck_tile_avx2
#define CK_FAMILY_UNPACK ck_unpack_avx2
#define CK_FAMILY_GEMM8 ck_gemm8_avx2
#define CK_TARGET "avx2,fma,f16c"
#define CK_VNNI 0
#define CK_AVX512 0
#include "ck_x86_kernels.h"
#else
#include "ck_internal.h"
ck_tile_fn ck_tile_avx2(int type) { (void)type; return NULL; }
ck_unpack_fn ck_unpack_avx2(int type) { (void)type; return NULL; }
ck_gemm8_fn ck_gemm8_avx2(int type, int half) { (void)type; (void)half; return NULL; }
#endif
