// fbw's built-in GEMM, for machines without OpenBLAS (what `npm ci` gives on a fresh machine).
// The Goto/BLIS scheme: for each NC-wide column panel and KC-deep slice of k, B is packed into
// NR-wide slivers (kept in L3/L2); for each MC-tall row block, A is packed into MR-tall slivers
// (kept in L2); an MR×NR register-blocked micro-kernel then streams A slivers past one B sliver
// (kept in L1). Packing reads A and B in either orientation, so the four transpose combinations
// of a ViT's forward (X·Wᵀ) and backward (dY·W, dYᵀ·X) products cost the same.
// The micro-kernel is chosen at run time from CPUID: AVX-512 (12×32 floats), AVX2+FMA (6×16), or
// portable C++ (4×8, vectorised by the compiler for the build's baseline). The SIMD kernels are
// compiled with function target attributes, so a portable build (-march=x86-64) still contains
// them and still runs on CPUs without them.
// References: Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS
// 34(3), 2008; Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 41(3), 2015 (loop order and block-size roles).
#include "gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "threadPool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FBW_X86 1
#define FBW_T512 __attribute__((target("avx512f,avx2,fma")))
#define FBW_T256 __attribute__((target("avx2,fma")))
#endif

namespace fbw {
namespace {

/** One micro-kernel: c[MR×NR] (row stride ldc) = or += Σ_p a[p·MR + i] · b[p·NR + j]. */
template <typename T>
using MicroKernel = void (*)(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, bool accumulate);

/** A micro-kernel with the block sizes that suit it (MC, KC, NC as in Goto & van de Geijn). */
template <typename T>
struct Kernel {
  int mr, nr, mc, kc, nc;
  MicroKernel<T> ukr;
};

// ---------------------------------------------------------------- portable micro-kernel
template <typename T, int MR, int NR>
void ukrGeneric(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, bool accumulate) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const T av = a[i];
#pragma GCC ivdep
      for (int j = 0; j < NR; j++) acc[i][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : T(0)) + acc[i][j];
}

#ifdef FBW_X86
// ---------------------------------------------------------------- SIMD micro-kernels
// Vector operations per ISA and element type; every member carries its ISA's target attribute so
// it inlines into the kernel of the same ISA.
struct F512 {
  using T = float;
  using V = __m512;
  static constexpr int W = 16;
  FBW_T512 static inline V zero() { return _mm512_setzero_ps(); }
  FBW_T512 static inline V load(const T* p) { return _mm512_loadu_ps(p); }
  FBW_T512 static inline V bcast(const T* p) { return _mm512_set1_ps(*p); }
  FBW_T512 static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  FBW_T512 static inline V add(V a, V b) { return _mm512_add_ps(a, b); }
  FBW_T512 static inline void store(T* p, V v) { _mm512_storeu_ps(p, v); }
};
struct D512 {
  using T = double;
  using V = __m512d;
  static constexpr int W = 8;
  FBW_T512 static inline V zero() { return _mm512_setzero_pd(); }
  FBW_T512 static inline V load(const T* p) { return _mm512_loadu_pd(p); }
  FBW_T512 static inline V bcast(const T* p) { return _mm512_set1_pd(*p); }
  FBW_T512 static inline V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  FBW_T512 static inline V add(V a, V b) { return _mm512_add_pd(a, b); }
  FBW_T512 static inline void store(T* p, V v) { _mm512_storeu_pd(p, v); }
};
struct F256 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  FBW_T256 static inline V zero() { return _mm256_setzero_ps(); }
  FBW_T256 static inline V load(const T* p) { return _mm256_loadu_ps(p); }
  FBW_T256 static inline V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  FBW_T256 static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  FBW_T256 static inline V add(V a, V b) { return _mm256_add_ps(a, b); }
  FBW_T256 static inline void store(T* p, V v) { _mm256_storeu_ps(p, v); }
};
struct D256 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  FBW_T256 static inline V zero() { return _mm256_setzero_pd(); }
  FBW_T256 static inline V load(const T* p) { return _mm256_loadu_pd(p); }
  FBW_T256 static inline V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  FBW_T256 static inline V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  FBW_T256 static inline V add(V a, V b) { return _mm256_add_pd(a, b); }
  FBW_T256 static inline void store(T* p, V v) { _mm256_storeu_pd(p, v); }
};

// MR rows × NV vectors of accumulators live in registers for the whole k loop: per step, NV
// loads of B, MR broadcasts of A, MR·NV FMAs.
#define FBW_UKR_BODY                                                                 \
  using V = typename O::V;                                                           \
  constexpr int W = O::W;                                                            \
  V acc[MR][NV];                                                                     \
  _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                              \
      _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++) acc[i][j] = O::zero();    \
  for (int64_t p = 0; p < kc; p++) {                                                 \
    V bv[NV];                                                                        \
    _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++) bv[j] = O::load(b + j * W); \
    _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++) {                          \
      const V av = O::bcast(a + i);                                                  \
      _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++) acc[i][j] =               \
          O::fma(av, bv[j], acc[i][j]);                                              \
    }                                                                                \
    a += MR;                                                                         \
    b += NV * W;                                                                     \
  }                                                                                  \
  _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                              \
      _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++) {                         \
    typename O::T* cp = c + i * ldc + j * W;                                         \
    O::store(cp, accumulate ? O::add(O::load(cp), acc[i][j]) : acc[i][j]);           \
  }

template <class O, int MR, int NV>
FBW_T512 void ukr512(int64_t kc, const typename O::T* a, const typename O::T* b, typename O::T* c,
                     int64_t ldc, bool accumulate) {
  FBW_UKR_BODY
}

template <class O, int MR, int NV>
FBW_T256 void ukr256(int64_t kc, const typename O::T* a, const typename O::T* b, typename O::T* c,
                     int64_t ldc, bool accumulate) {
  FBW_UKR_BODY
}
#endif

// Block sizes: the B sliver (KC×NR) fits L1 (48 KB on the machine measured), the A block
// (MC×KC) a fraction of L2, the B panel (KC×NC) L3. Tuned on an AMD EPYC (Zen 5) with the gemm
// benchmark's ViT-B/32 shapes; the same values are reasonable for any recent x86.
template <typename T>
Kernel<T> kernelFor(Simd s);

template <>
Kernel<float> kernelFor<float>(Simd s) {
#ifdef FBW_X86
  if (s == Simd::Avx512) return {12, 32, 192, 256, 3072, ukr512<F512, 12, 2>};
  if (s == Simd::Avx2) return {6, 16, 144, 256, 3072, ukr256<F256, 6, 2>};
#endif
  (void)s;
  return {4, 8, 128, 256, 2048, ukrGeneric<float, 4, 8>};
}

template <>
Kernel<double> kernelFor<double>(Simd s) {
#ifdef FBW_X86
  if (s == Simd::Avx512) return {12, 16, 96, 256, 2048, ukr512<D512, 12, 2>};
  if (s == Simd::Avx2) return {6, 8, 96, 256, 2048, ukr256<D256, 6, 2>};
#endif
  (void)s;
  return {4, 4, 64, 256, 2048, ukrGeneric<double, 4, 4>};
}

// ---------------------------------------------------------------- packing
// op(A)(i, p) is A[i·lda + p], or A[p·lda + i] when ta. Rows i0.., depth p0..; MR-row slivers,
// each kc·MR values (p-major), the last one zero-padded; alpha is applied here, once per element.
template <typename T>
void packA(bool ta, T alpha, const T* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
           int mr, T* dst) {
  for (int64_t s = 0; s < mc; s += mr) {
    const int rows = (int)std::min<int64_t>(mr, mc - s);
    T* d = dst + s * kc;
    if (ta) {
      for (int64_t p = 0; p < kc; p++) {
        const T* src = A + (p0 + p) * lda + i0 + s;
        T* dp = d + p * mr;
        int r = 0;
        for (; r < rows; r++) dp[r] = alpha * src[r];
        for (; r < mr; r++) dp[r] = T(0);
      }
    } else {
      for (int r = 0; r < rows; r++) {
        const T* src = A + (i0 + s + r) * lda + p0;
        for (int64_t p = 0; p < kc; p++) d[p * mr + r] = alpha * src[p];
      }
      for (int r = rows; r < mr; r++)
        for (int64_t p = 0; p < kc; p++) d[p * mr + r] = T(0);
    }
  }
}

// op(B)(p, j) is B[p·ldb + j], or B[j·ldb + p] when tb. NR-column slivers, each kc·NR values.
template <typename T>
void packB(bool tb, const T* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
           T* dst) {
  for (int64_t s = 0; s < nc; s += nr) {
    const int cols = (int)std::min<int64_t>(nr, nc - s);
    T* d = dst + s * kc;
    if (!tb) {
      for (int64_t p = 0; p < kc; p++) {
        const T* src = B + (p0 + p) * ldb + j0 + s;
        T* dp = d + p * nr;
        int c = 0;
        for (; c < cols; c++) dp[c] = src[c];
        for (; c < nr; c++) dp[c] = T(0);
      }
    } else {
      for (int c = 0; c < cols; c++) {
        const T* src = B + (j0 + s + c) * ldb + p0;
        for (int64_t p = 0; p < kc; p++) d[p * nr + c] = src[p];
      }
      for (int c = cols; c < nr; c++)
        for (int64_t p = 0; p < kc; p++) d[p * nr + c] = T(0);
    }
  }
}

/** A per-thread, 64-byte aligned scratch buffer that only grows. */
template <typename T>
T* scratch(std::vector<T>& v, size_t n) {
  const size_t pad = 64 / sizeof(T);
  if (v.size() < n + pad) v.resize(n + pad);
  uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
  p = (p + 63) & ~uintptr_t(63);
  return reinterpret_cast<T*>(p);
}

template <typename T>
struct Scratch {
  std::vector<T> a, b;
};
template <typename T>
Scratch<T>& threadScratch() {
  thread_local Scratch<T> s;
  return s;
}

// C[i0:i1, j0:j1] of the product, on the calling thread.
template <typename T>
void gemmBlock(const Kernel<T>& K, bool ta, bool tb, int64_t k, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, bool accumulate, T* C, int64_t ldc, int64_t i0, int64_t i1,
               int64_t j0, int64_t j1) {
  const int mr = K.mr, nr = K.nr;
  const int64_t mcMax = std::min<int64_t>(K.mc, ((i1 - i0 + mr - 1) / mr) * mr);
  const int64_t ncMax = std::min<int64_t>(K.nc, ((j1 - j0 + nr - 1) / nr) * nr);
  const int64_t kcMax = std::min<int64_t>(K.kc, k);
  Scratch<T>& s = threadScratch<T>();
  T* pa = scratch(s.a, (size_t)(((mcMax + mr - 1) / mr) * mr * kcMax));
  T* pb = scratch(s.b, (size_t)(((ncMax + nr - 1) / nr) * nr * kcMax));
  alignas(64) T tile[16 * 64];
  for (int64_t jc = j0; jc < j1; jc += K.nc) {
    const int64_t nc = std::min<int64_t>(K.nc, j1 - jc);
    for (int64_t pc = 0; pc < k; pc += K.kc) {
      const int64_t kc = std::min<int64_t>(K.kc, k - pc);
      const bool acc = accumulate || pc > 0;
      packB(tb, B, ldb, pc, kc, jc, nc, nr, pb);
      for (int64_t ic = i0; ic < i1; ic += K.mc) {
        const int64_t mc = std::min<int64_t>(K.mc, i1 - ic);
        packA(ta, alpha, A, lda, ic, mc, pc, kc, mr, pa);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int nb = (int)std::min<int64_t>(nr, nc - jr);
          const T* bp = pb + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int mb = (int)std::min<int64_t>(mr, mc - ir);
            const T* ap = pa + ir * kc;
            T* cp = C + (ic + ir) * ldc + jc + jr;
            if (mb == mr && nb == nr) {
              K.ukr(kc, ap, bp, cp, ldc, acc);
            } else {  // edge tile: compute the full tile aside, keep the part inside C
              K.ukr(kc, ap, bp, tile, nr, false);
              for (int i = 0; i < mb; i++)
                for (int j = 0; j < nb; j++)
                  cp[i * ldc + j] = (acc ? cp[i * ldc + j] : T(0)) + tile[i * nr + j];
            }
          }
        }
      }
    }
  }
}

template <typename T>
void gemmBuiltin(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
                 const T* B, int64_t ldb, bool accumulate, T* C, int64_t ldc, bool threaded) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (accumulate) return;
    for (int64_t i = 0; i < m; i++) std::fill(C + i * ldc, C + i * ldc + n, T(0));
    return;
  }
  const Kernel<T> K = kernelFor<T>(gemmSimd());
  const int threads = threaded ? pool().threads() : 1;
  // Below ~1 MFLOP the wake-up of the pool costs more than the second core gives.
  if (threads == 1 || (double)m * n * k < 5e5) {
    gemmBlock(K, ta, tb, k, alpha, A, lda, B, ldb, accumulate, C, ldc, 0, m, 0, n);
    return;
  }
  // Split the longer side of C into tasks of whole slivers, a few per thread so a thread that
  // the OS preempts (a shared machine) does not hold the others up; each task packs its own A
  // and B (the re-packed side costs 1/(its width) of the compute).
  const bool byCols = n >= m;
  const int64_t len = byCols ? n : m, unit = byCols ? K.nr : K.mr;
  const int64_t units = (len + unit - 1) / unit;
  const int64_t minUnits = std::max<int64_t>(1, 96 / unit);
  int64_t tasks = std::min<int64_t>(units / minUnits, 3 * threads);
  tasks = std::max<int64_t>(1, std::min<int64_t>(tasks, units));
  if (tasks < threads && units >= threads) tasks = threads;
  const int64_t per = (units + tasks - 1) / tasks;
  pool().run((int)tasks, [&](int t) {
    const int64_t b = t * per * unit, e = std::min(len, (t + 1) * per * unit);
    if (b >= e) return;
    if (byCols) gemmBlock(K, ta, tb, k, alpha, A, lda, B, ldb, accumulate, C, ldc, 0, m, b, e);
    else gemmBlock(K, ta, tb, k, alpha, A, lda, B, ldb, accumulate, C, ldc, b, e, 0, n);
  });
}

Simd g_simd = Simd::Generic;
bool g_simdInit = false;

#ifdef FBW_X86
// A tight chain-free FMA loop: 12 independent accumulators hide the FMA latency, so it runs at
// the core's FMA throughput (the ceiling any GEMM can reach).
FBW_T512 double fmaLoop512(int64_t iters) {
  __m512 acc[12];
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
  for (int64_t it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  alignas(64) float v[16];
  float out = 0;
  for (int i = 0; i < 12; i++) {
    _mm512_store_ps(v, acc[i]);
    for (float f : v) out += f;
  }
  return out;
}
FBW_T256 double fmaLoop256(int64_t iters) {
  __m256 acc[12];
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
  for (int64_t it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  alignas(32) float v[8];
  float out = 0;
  for (int i = 0; i < 12; i++) {
    _mm256_store_ps(v, acc[i]);
    for (float f : v) out += f;
  }
  return out;
}
#endif
double fmaLoopGeneric(int64_t iters) {
  float acc[12][16];
  for (int i = 0; i < 12; i++)
    for (int j = 0; j < 16; j++) acc[i][j] = (float)(i + j);
  for (int64_t it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++)
      for (int j = 0; j < 16; j++) acc[i][j] = acc[i][j] * 0.999999f + 1e-7f;
  float out = 0;
  for (int i = 0; i < 12; i++)
    for (int j = 0; j < 16; j++) out += acc[i][j];
  return out;
}

}  // namespace

ThreadPool& pool() {
  static ThreadPool p;
  return p;
}

Simd detectSimd() {
  Simd best = Simd::Generic;
#ifdef FBW_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Simd::Avx2;
  if (best == Simd::Avx2 && __builtin_cpu_supports("avx512f")) best = Simd::Avx512;
#endif
  const char* env = getenv("FBW_NATIVE_SIMD");
  if (env != nullptr) {
    const std::string e(env);
    const Simd want = e == "generic" ? Simd::Generic : e == "avx2" ? Simd::Avx2 : Simd::Avx512;
    if ((int)want < (int)best) best = want;
  }
  return best;
}

Simd gemmSimd() {
  if (!g_simdInit) {
    g_simd = detectSimd();
    g_simdInit = true;
  }
  return g_simd;
}

Simd setGemmSimd(Simd s) {
  Simd cpu = Simd::Generic;
#ifdef FBW_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) cpu = Simd::Avx2;
  if (cpu == Simd::Avx2 && __builtin_cpu_supports("avx512f")) cpu = Simd::Avx512;
#endif
  g_simd = (int)s < (int)cpu ? s : cpu;
  g_simdInit = true;
  return g_simd;
}

const char* simdName(Simd s) {
  switch (s) {
    case Simd::Avx512: return "avx512";
    case Simd::Avx2: return "avx2";
    default: return "generic";
  }
}

void sgemmBuiltin(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float* C, int64_t ldc, bool threaded) {
  gemmBuiltin<float>(ta, tb, m, n, k, 1.f, A, lda, B, ldb, false, C, ldc, threaded);
}

void dgemmBuiltin(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* A,
                  int64_t lda, const double* B, int64_t ldb, bool accumulate, double* C, int64_t ldc,
                  bool threaded) {
  gemmBuiltin<double>(ta, tb, m, n, k, alpha, A, lda, B, ldb, accumulate, C, ldc, threaded);
}

double peakGflops(double seconds) {
  const Simd s = gemmSimd();
  const int64_t lanes = s == Simd::Avx512 ? 16 : s == Simd::Avx2 ? 8 : 16;
  auto loop = [s](int64_t iters) -> double {
#ifdef FBW_X86
    if (s == Simd::Avx512) return fmaLoop512(iters);
    if (s == Simd::Avx2) return fmaLoop256(iters);
#endif
    return fmaLoopGeneric(iters);
  };
  volatile double sink = 0;
  int64_t iters = 1 << 16;
  for (;;) {  // grow until one run takes a measurable time, then time `seconds` worth
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + loop(iters);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt > seconds || iters > (int64_t(1) << 40)) return (double)iters * 12 * lanes * 2 / dt / 1e9;
    iters = dt < seconds / 16 ? iters * 8 : (int64_t)(iters * (seconds * 1.05 / dt));
  }
}

}  // namespace fbw
