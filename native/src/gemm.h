// fbw's built-in GEMM: C[m,n] = op(A) op(B) (row-major, op = identity or transpose, C
// overwritten), packed and cache-blocked with a register-blocked micro-kernel chosen at run time
// (AVX-512, AVX2+FMA or portable C++). See gemm.cc.
#pragma once

#include <cstdint>
#include <string>

namespace fbw {

/** The micro-kernel families; `gemmSimd()` says which one runs. */
enum class Simd { Generic = 0, Avx2 = 1, Avx512 = 2 };

/** The best kernel this CPU supports (CPUID), capped by FBW_NATIVE_SIMD=generic|avx2|avx512. */
Simd detectSimd();
Simd gemmSimd();
/** Forces a kernel family (tests run every path); returns the one in use (capped to the CPU's best). */
Simd setGemmSimd(Simd s);
const char* simdName(Simd s);

/** lda/ldb/ldc are the row strides of A, B, C as stored (A stored [k,m] when ta). Uses the pool. */
void sgemmBuiltin(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float* C, int64_t ldc, bool threaded = true);
/** C = alpha·op(A)op(B), or C += alpha·op(A)op(B) when accumulate (LU's trailing updates). */
void dgemmBuiltin(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* A,
                  int64_t lda, const double* B, int64_t ldb, bool accumulate, double* C, int64_t ldc,
                  bool threaded = true);

/** Measured FMA throughput of one core for float32 with the chosen kernel family (GFLOP/s). */
double peakGflops(double seconds);

}  // namespace fbw
