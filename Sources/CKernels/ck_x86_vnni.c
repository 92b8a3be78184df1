// AVX-512 VNNI kernel family (vpdpbusd / vpdpwssd on 256-bit vectors via AVX-512VL).
#if defined(__x86_64__)
#define CK_FAMILY_FN ck_tile_vnni
#define CK_FAMILY_UNPACK ck_unpack_vnni
#define CK_FAMILY_GEMM8 ck_gemm8_vnni
#define CK_TARGET "avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,avx2,fma,f16c"
#define CK_VNNI 1
#define CK_AVX512 1
#include "ck_x86_kernels.h"
#else
#include "ck_internal.h"
ck_tile_fn ck_tile_vnni(int type) { (void)type; return NULL; }
ck_unpack_fn ck_unpack_vnni(int type) { (void)type; return NULL; }
ck_gemm8_fn ck_gemm8_vnni(int type, int half) { (void)type; (void)half; return NULL; }
#endif
