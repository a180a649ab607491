// fbw native CPU kernels: the hot float32 ops of tfjs (GEMM, broadcasting elementwise, softmax,
// transpose, reductions) run here, in place on the TypedArrays of the tfjs `cpu` backend's data
// store. GEMM calls OpenBLAS when a real OpenBLAS is found with dlopen at load time (accepting
// only a library exporting `openblas_get_config`, since the reference libblas is slower than the
// built-in kernel), otherwise the built-in packed GEMM (gemm.cc). Large loops run on the addon's
// thread pool (threadPool.h), sized by setThreads from the slot's core count.
// References: cblas_sgemm (BLAS Technical Forum standard, netlib CBLAS); OpenBLAS's exported
// `openblas_set_num_threads` / `openblas_get_config`; Goto & van de Geijn, "Anatomy of
// High-Performance Matrix Multiplication" (2008) for the blocking of the fallback GEMM.
#include <napi.h>
#include <dlfcn.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "gemm.h"
#include "linalg.h"
#include "threadPool.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------- OpenBLAS through dlopen
enum { CblasRowMajor = 101 };
enum { CblasNoTrans = 111, CblasTrans = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                         float, float*, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char* (*get_config_fn)(void);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double*, int, const double*, int,
                         double, double*, int);
typedef void (*dgesv_fn)(const int*, const int*, double*, const int*, int*, double*, const int*, int*);

struct Blas {
  sgemm_fn sgemm = nullptr;
  set_threads_fn set_threads = nullptr;
  get_threads_fn get_threads = nullptr;
  dgemm_fn dgemm = nullptr;
  dgesv_fn dgesv = nullptr;  // LAPACK (Fortran ABI), part of Debian's libopenblas0
  std::string name = "builtin";
  int threads = 1;
};
Blas g_blas;
// GEMMs run on the built-in kernel unless FBW_NATIVE_BLAS=openblas (or a library path) or
// setBlas(true): the built-in kernel's result does not depend on the thread count (OpenBLAS's
// does), so a stage gives the same bits on a 1-core slot, a 2-core slot or a SLURM node, and it is
// the faster of the two on this project's machines (bench gemm). OpenBLAS is still loaded when
// present, for LAPACK's solve and as the gemm benchmark's anchor.
bool g_useBlas = false;

void loadBlas() {
  const char* env = getenv("FBW_NATIVE_BLAS");
  const std::string choice = env != nullptr ? env : "";
  if (choice == "openblas") {
    g_useBlas = true;
    env = nullptr;
  } else if (!choice.empty() && choice != "builtin") {
    g_useBlas = true;  // a library path
  } else {
    env = nullptr;
  }
  const char* candidates[] = {env, "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0",
                              "libopenblas.dylib"};
  for (const char* c : candidates) {
    if (c == nullptr || *c == 0) continue;
    void* h = dlopen(c, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) continue;
    auto cfg = reinterpret_cast<get_config_fn>(dlsym(h, "openblas_get_config"));
    auto gemm = reinterpret_cast<sgemm_fn>(dlsym(h, "cblas_sgemm"));
    if (cfg == nullptr || gemm == nullptr) {  // reference BLAS: slower than the builtin GEMM
      dlclose(h);
      continue;
    }
    g_blas.sgemm = gemm;
    g_blas.set_threads = reinterpret_cast<set_threads_fn>(dlsym(h, "openblas_set_num_threads"));
    g_blas.get_threads = reinterpret_cast<get_threads_fn>(dlsym(h, "openblas_get_num_threads"));
    g_blas.dgemm = reinterpret_cast<dgemm_fn>(dlsym(h, "cblas_dgemm"));
    g_blas.dgesv = reinterpret_cast<dgesv_fn>(dlsym(h, "dgesv_"));
    g_blas.name = std::string("OpenBLAS ") + cfg() + " (" + c + ")";
    // One thread until setThreads gives the slot's cores (registerNativeBackend does).
    if (g_blas.set_threads != nullptr) g_blas.set_threads(1);
    g_blas.threads = 1;
    return;
  }
}

// ---------------------------------------------------------------- GEMM dispatch

// One (possibly transposed) GEMM: C[m,n] = op(A) op(B), all contiguous row-major.
void sgemmWith(bool blas, bool ta, bool tb, int m, int n, int k, const float* A, const float* B, float* C,
               bool threaded = true) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(C, C + (size_t)m * n, 0.f);
    return;
  }
  if (blas && g_blas.sgemm != nullptr) {
    g_blas.sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                 n, k, 1.f, A, ta ? m : k, B, tb ? k : n, 0.f, C, n);
    return;
  }
  fbw::sgemmBuiltin(ta, tb, m, n, k, A, ta ? m : k, B, tb ? k : n, C, n, threaded);
}

void sgemm(bool ta, bool tb, int m, int n, int k, const float* A, const float* B, float* C) {
  sgemmWith(g_useBlas, ta, tb, m, n, k, A, B, C);
}

// ---------------------------------------------------------------- vectorisable exp
// expf by range reduction x = n·ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r (Cephes
// expf coefficients, ~1 ulp) and 2^n built in the exponent bits. Branch-free so GCC vectorises
// the loops that call it; NaN propagates, large inputs give inf, very negative inputs give 0.
inline float fastExp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447504f;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  xc = x == x ? xc : 0.f;
  const float fx = std::nearbyint(xc * 1.44269504088896341f);
  float r = xc - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.f;
  int32_t n = (int32_t)fx;
  int32_t bits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  float y = p * scale;
  y = x > hi ? INFINITY : y;
  y = x < lo ? 0.f : y;
  return x == x ? y : x;
}

// ---------------------------------------------------------------- argument helpers
inline float* f32(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
inline size_t f32len(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
inline int i32(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
inline double num(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
std::vector<int64_t> shapeOf(const Napi::Value& v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> s(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) s[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return s;
}

// ---------------------------------------------------------------- matmul
// matmul(a, b, out, batchA, batchB, m, n, k, transA, transB, bias|null, act, alpha)
// out[batch, m, n] with batch = max(batchA, batchB) and a batch of 1 broadcast; bias (length n,
// or length 1) added and activation applied in the same pass (the _FusedMatMul epilogue).
enum Act { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_SIGMOID = 3, ACT_LEAKY = 4, ACT_ELU = 5 };

inline float activate(float v, int act, float alpha) {
  switch (act) {
    case ACT_RELU: return v > 0 ? v : 0;
    case ACT_RELU6: return v < 0 ? 0 : (v > 6 ? 6 : v);
    case ACT_SIGMOID: return 1.f / (1.f + fastExp(-v));
    case ACT_LEAKY: return v < 0 ? alpha * v : v;
    case ACT_ELU: return v < 0 ? std::expm1(v) : v;
    default: return v;
  }
}

Napi::Value MatMul(const Napi::CallbackInfo& info) {
  const float* A = f32(info[0]);
  const float* B = f32(info[1]);
  float* C = f32(info[2]);
  const int batchA = i32(info[3]), batchB = i32(info[4]);
  const int m = i32(info[5]), n = i32(info[6]), k = i32(info[7]);
  const bool ta = info[8].As<Napi::Boolean>(), tb = info[9].As<Napi::Boolean>();
  const float* bias = info[10].IsNull() || info[10].IsUndefined() ? nullptr : f32(info[10]);
  const size_t biasLen = bias != nullptr ? f32len(info[10]) : 0;
  const int act = i32(info[11]);
  const float alpha = (float)num(info[12]);
  const int batch = std::max(batchA, batchB);
  const size_t sa = batchA == 1 ? 0 : (size_t)m * k, sb = batchB == 1 ? 0 : (size_t)k * n;
  const bool builtin = !g_useBlas || g_blas.sgemm == nullptr;
  if (!ta && batchB == 1 && batchA > 1) {
    // A's batch folds into its rows: one big GEMM instead of `batch` small ones.
    sgemm(false, tb, batch * m, n, k, A, B, C);
  } else if (builtin && batch > 1 && fbw::pool().threads() > 1 && (double)m * n * k < 4e6) {
    // Many small GEMMs (attention's per-head products): one GEMM per task, across the pool.
    fbw::pool().run(batch, [&](int i) {
      sgemmWith(false, ta, tb, m, n, k, A + i * sa, B + i * sb, C + (size_t)i * m * n, false);
    });
  } else {
    for (int i = 0; i < batch; i++)
      sgemm(ta, tb, m, n, k, A + i * sa, B + i * sb, C + (size_t)i * m * n);
  }
  if (bias != nullptr || act != ACT_LINEAR) {
    const size_t rows = (size_t)batch * m;
    fbw::pool().parallelFor((int64_t)rows, std::max<int64_t>(1, 32768 / std::max(1, n)),
                            [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      float* c = C + r * n;
      if (bias != nullptr) {
        if (biasLen == 1) {
          const float b0 = bias[0];
          for (int j = 0; j < n; j++) c[j] += b0;
        } else {
          for (int j = 0; j < n; j++) c[j] += bias[j];
        }
      }
      if (act != ACT_LINEAR)
        for (int j = 0; j < n; j++) c[j] = activate(c[j], act, alpha);
    }
    });
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- broadcasting binary ops
enum BinOp {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_POW, B_SQDIFF, B_DIVNONAN, B_PRELU,
  B_SIGMOID_GRAD, B_TANH_GRAD, B_RSQRT_GRAD
};

template <int OP>
inline float bin(float a, float b) {
  if constexpr (OP == B_ADD) return a + b;
  if constexpr (OP == B_SUB) return a - b;
  if constexpr (OP == B_MUL) return a * b;
  if constexpr (OP == B_DIV) return a / b;
  if constexpr (OP == B_MAX) return (std::isnan(a) || std::isnan(b)) ? NAN : (a > b ? a : b);
  if constexpr (OP == B_MIN) return (std::isnan(a) || std::isnan(b)) ? NAN : (a < b ? a : b);
  if constexpr (OP == B_POW) return std::pow(a, b);
  if constexpr (OP == B_SQDIFF) return (a - b) * (a - b);
  if constexpr (OP == B_DIVNONAN) return b == 0 ? 0 : a / b;
  if constexpr (OP == B_PRELU) return a < 0 ? b * a : a;
  return 0;
}

template <int OP>
void binaryInner(const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n) {
  if (sa == 1 && sb == 1) {
#pragma GCC ivdep
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
#pragma GCC ivdep
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
#pragma GCC ivdep
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i * sa], b[i * sb]);
  }
}

// Loops of fewer elements than this stay on the calling thread: waking the pool costs more.
constexpr int64_t kParallelGrain = 1 << 16;

template <int OP>
void binaryND(const float* a, const float* b, float* o, const std::vector<int64_t>& shape,
              const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
  const int r = (int)shape.size();
  const int64_t inner = shape[r - 1];
  const int64_t isa = sa[r - 1], isb = sb[r - 1];
  int64_t outer = 1;
  for (int d = 0; d < r - 1; d++) outer *= shape[d];
  if (outer == 1) {
    fbw::pool().parallelFor(inner, kParallelGrain, [&](int64_t lo, int64_t hi) {
      binaryInner<OP>(a + lo * isa, isa, b + lo * isb, isb, o + lo, hi - lo);
    });
    return;
  }
  fbw::pool().parallelFor(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, inner)),
                          [&](int64_t it0, int64_t it1) {
    std::vector<int64_t> idx(r, 0);
    int64_t oa = 0, ob = 0, rem = it0;
    for (int d = r - 2; d >= 0; d--) {  // the odometer's position at it0
      idx[d] = rem % shape[d];
      rem /= shape[d];
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    for (int64_t it = it0; it < it1; it++) {
      binaryInner<OP>(a + oa, isa, b + ob, isb, o + it * inner, inner);
      for (int d = r - 2; d >= 0; d--) {  // odometer over the outer dims
        idx[d]++;
        oa += sa[d];
        ob += sb[d];
        if (idx[d] < shape[d]) break;
        oa -= sa[d] * shape[d];
        ob -= sb[d] * shape[d];
        idx[d] = 0;
      }
    }
  });
}

// Pads both shapes to the output rank, gives broadcast dims stride 0, and merges adjacent dims
// that stay contiguous for both operands, so most calls become one flat loop.
void broadcastPlan(const std::vector<int64_t>& as, const std::vector<int64_t>& bs,
                   const std::vector<int64_t>& os, std::vector<int64_t>& shape,
                   std::vector<int64_t>& sa, std::vector<int64_t>& sb) {
  const int r = (int)os.size();
  std::vector<int64_t> ad(r, 1), bd(r, 1);
  for (int i = 0; i < (int)as.size(); i++) ad[r - as.size() + i] = as[i];
  for (int i = 0; i < (int)bs.size(); i++) bd[r - bs.size() + i] = bs[i];
  std::vector<int64_t> fsa(r), fsb(r);
  int64_t pa = 1, pb = 1;
  for (int d = r - 1; d >= 0; d--) {
    fsa[d] = ad[d] == 1 ? 0 : pa;
    fsb[d] = bd[d] == 1 ? 0 : pb;
    pa *= ad[d];
    pb *= bd[d];
  }
  shape.clear();
  sa.clear();
  sb.clear();
  for (int d = 0; d < r; d++) {
    if (os[d] == 1) continue;
    if (!shape.empty()) {
      const size_t L = shape.size() - 1;
      if (sa[L] == fsa[d] * os[d] && sb[L] == fsb[d] * os[d]) {
        shape[L] *= os[d];
        sa[L] = fsa[d];
        sb[L] = fsb[d];
        continue;
      }
    }
    shape.push_back(os[d]);
    sa.push_back(fsa[d]);
    sb.push_back(fsb[d]);
  }
  if (shape.empty()) {
    shape.push_back(1);
    sa.push_back(0);
    sb.push_back(0);
  }
}

// binary(op, a, aShape, b, bShape, out, outShape)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = i32(info[0]);
  const float* a = f32(info[1]);
  const float* b = f32(info[3]);
  float* o = f32(info[5]);
  std::vector<int64_t> shape, sa, sb;
  broadcastPlan(shapeOf(info[2]), shapeOf(info[4]), shapeOf(info[6]), shape, sa, sb);
  switch (op) {
    case B_ADD: binaryND<B_ADD>(a, b, o, shape, sa, sb); break;
    case B_SUB: binaryND<B_SUB>(a, b, o, shape, sa, sb); break;
    case B_MUL: binaryND<B_MUL>(a, b, o, shape, sa, sb); break;
    case B_DIV: binaryND<B_DIV>(a, b, o, shape, sa, sb); break;
    case B_MAX: binaryND<B_MAX>(a, b, o, shape, sa, sb); break;
    case B_MIN: binaryND<B_MIN>(a, b, o, shape, sa, sb); break;
    case B_POW: binaryND<B_POW>(a, b, o, shape, sa, sb); break;
    case B_SQDIFF: binaryND<B_SQDIFF>(a, b, o, shape, sa, sb); break;
    case B_DIVNONAN: binaryND<B_DIVNONAN>(a, b, o, shape, sa, sb); break;
    case B_PRELU: binaryND<B_PRELU>(a, b, o, shape, sa, sb); break;
    default: Napi::Error::New(info.Env(), "fbw-native: unknown binary op").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- unary ops
enum UnOp {
  U_EXP = 0, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_NEG, U_SQUARE, U_RECIPROCAL, U_RELU,
  U_ABS, U_ERF, U_LOG1P, U_EXPM1, U_RELU6, U_ELU, U_SOFTPLUS, U_STEP, U_LEAKY, U_SIGN, U_CLIP,
  U_SIN, U_COS
};

bool unaryKernel(int op, const float* x, float* o, size_t n, float alpha, float beta) {
  switch (op) {
    case U_EXP: for (size_t i = 0; i < n; i++) o[i] = fastExp(x[i]); break;
    case U_LOG: for (size_t i = 0; i < n; i++) o[i] = std::log(x[i]); break;
    case U_SQRT: for (size_t i = 0; i < n; i++) o[i] = std::sqrt(x[i]); break;
    case U_RSQRT: for (size_t i = 0; i < n; i++) o[i] = 1.f / std::sqrt(x[i]); break;
    case U_TANH: for (size_t i = 0; i < n; i++) o[i] = std::tanh(x[i]); break;
    case U_SIGMOID: for (size_t i = 0; i < n; i++) o[i] = 1.f / (1.f + fastExp(-x[i])); break;
    case U_NEG: for (size_t i = 0; i < n; i++) o[i] = -x[i]; break;
    case U_SQUARE: for (size_t i = 0; i < n; i++) o[i] = x[i] * x[i]; break;
    case U_RECIPROCAL: for (size_t i = 0; i < n; i++) o[i] = 1.f / x[i]; break;
    case U_RELU: for (size_t i = 0; i < n; i++) o[i] = x[i] < 0 ? 0 : x[i]; break;
    case U_ABS: for (size_t i = 0; i < n; i++) o[i] = std::fabs(x[i]); break;
    case U_ERF: for (size_t i = 0; i < n; i++) o[i] = std::erf(x[i]); break;
    case U_LOG1P: for (size_t i = 0; i < n; i++) o[i] = std::log1p(x[i]); break;
    case U_EXPM1: for (size_t i = 0; i < n; i++) o[i] = std::expm1(x[i]); break;
    case U_RELU6: for (size_t i = 0; i < n; i++) o[i] = x[i] < 0 ? 0 : (x[i] > 6 ? 6 : x[i]); break;
    case U_ELU: for (size_t i = 0; i < n; i++) o[i] = x[i] < 0 ? std::expm1(x[i]) : x[i]; break;
    case U_SOFTPLUS:
      for (size_t i = 0; i < n; i++) o[i] = x[i] > 20 ? x[i] : std::log1p(std::exp(x[i]));
      break;
    case U_STEP:
      for (size_t i = 0; i < n; i++) o[i] = std::isnan(x[i]) ? NAN : (x[i] > 0 ? 1.f : alpha);
      break;
    case U_LEAKY: for (size_t i = 0; i < n; i++) o[i] = x[i] < 0 ? alpha * x[i] : x[i]; break;
    case U_SIGN:
      for (size_t i = 0; i < n; i++) o[i] = x[i] > 0 ? 1.f : (x[i] < 0 ? -1.f : 0.f);
      break;
    case U_CLIP:
      for (size_t i = 0; i < n; i++) o[i] = x[i] > beta ? beta : (x[i] < alpha ? alpha : x[i]);
      break;
    case U_SIN: for (size_t i = 0; i < n; i++) o[i] = std::sin(x[i]); break;
    case U_COS: for (size_t i = 0; i < n; i++) o[i] = std::cos(x[i]); break;
    default: return false;
  }
  return true;
}

// unary(op, x, out, alpha, beta)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = i32(info[0]);
  const float* x = f32(info[1]);
  float* o = f32(info[2]);
  const size_t n = f32len(info[1]);
  const float alpha = (float)num(info[3]), beta = (float)num(info[4]);
  if (op < U_EXP || op > U_COS) {
    Napi::Error::New(info.Env(), "fbw-native: unknown unary op").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  fbw::pool().parallelFor((int64_t)n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    unaryKernel(op, x + lo, o + lo, (size_t)(hi - lo), alpha, beta);
  });
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- softmax over the last axis
// softmax(x, out, cols, log)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* o = f32(info[1]);
  const int64_t cols = i32(info[2]);
  const bool logSm = info[3].As<Napi::Boolean>();
  const int64_t rows = cols == 0 ? 0 : (int64_t)f32len(info[0]) / cols;
  fbw::pool().parallelFor(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, cols)),
                          [&](int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* orow = o + r * cols;
    // 8 partial maxima / sums so the loops vectorise without -ffast-math
    float m8[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int64_t j = 0;
    for (; j + 8 <= cols; j += 8)
      for (int l = 0; l < 8; l++) m8[l] = xr[j + l] > m8[l] ? xr[j + l] : m8[l];
    float mx = -INFINITY;
    for (int l = 0; l < 8; l++) mx = m8[l] > mx ? m8[l] : mx;
    for (; j < cols; j++) mx = xr[j] > mx ? xr[j] : mx;
    for (int64_t q = 0; q < cols; q++) if (std::isnan(xr[q])) { mx = NAN; break; }
    if (logSm) {
      for (int64_t q = 0; q < cols; q++) orow[q] = xr[q] - mx;
    } else {
      for (int64_t q = 0; q < cols; q++) orow[q] = fastExp(xr[q] - mx);
    }
    float s8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    j = 0;
    if (logSm) {
      for (; j + 8 <= cols; j += 8)
        for (int l = 0; l < 8; l++) s8[l] += fastExp(orow[j + l]);
    } else {
      for (; j + 8 <= cols; j += 8)
        for (int l = 0; l < 8; l++) s8[l] += orow[j + l];
    }
    double s = 0;
    for (int l = 0; l < 8; l++) s += s8[l];
    for (; j < cols; j++) s += logSm ? fastExp(orow[j]) : orow[j];
    if (logSm) {
      const float ls = (float)std::log(s);
      for (int64_t q = 0; q < cols; q++) orow[q] -= ls;
    } else {
      const float inv = (float)(1.0 / s);
      for (int64_t q = 0; q < cols; q++) orow[q] *= inv;
    }
  }
  });
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- transpose (any rank)
// transpose(x, out, shape, perm, elemBytes)  works on any 4-byte element type (float32/int32)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Napi::TypedArray xa = info[0].As<Napi::TypedArray>();
  Napi::TypedArray oa = info[1].As<Napi::TypedArray>();
  const uint32_t* x = reinterpret_cast<const uint32_t*>(
      static_cast<uint8_t*>(xa.ArrayBuffer().Data()) + xa.ByteOffset());
  uint32_t* o = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(oa.ArrayBuffer().Data()) +
                                            oa.ByteOffset());
  const std::vector<int64_t> inShape = shapeOf(info[2]);
  const std::vector<int64_t> permIn = shapeOf(info[3]);
  const int r0 = (int)inShape.size();
  std::vector<int64_t> inStride(r0);
  int64_t p = 1;
  for (int d = r0 - 1; d >= 0; d--) {
    inStride[d] = p;
    p *= inShape[d];
  }
  const int64_t total = p;
  if (total == 0) return info.Env().Undefined();
  // Output dims in order, with their input strides; drop size-1 dims and merge output-adjacent
  // dims that are also input-adjacent.
  std::vector<int64_t> shape, stride;
  for (int d = 0; d < r0; d++) {
    const int64_t ax = permIn[d];
    const int64_t n = inShape[ax], s = inStride[ax];
    if (n == 1) continue;
    if (!shape.empty() && stride.back() == s * n) {
      shape.back() *= n;
      stride.back() = s;
      continue;
    }
    shape.push_back(n);
    stride.push_back(s);
  }
  if (shape.empty()) {
    o[0] = x[0];
    return info.Env().Undefined();
  }
  const int r = (int)shape.size();
  if (r == 1) {
    std::memcpy(o, x, total * 4);
    return info.Env().Undefined();
  }
  const int64_t inner = shape[r - 1], is = stride[r - 1];
  if (is != 1) {
    // The input's contiguous axis c moved away from the end: tiled 2-D transposes of (c, last)
    // for every index of the other axes, so both reads and writes stay in cache lines.
    int c = 0;
    while (c < r && stride[c] != 1) c++;
    std::vector<int64_t> ostride(r);
    int64_t q = 1;
    for (int d = r - 1; d >= 0; d--) {
      ostride[d] = q;
      q *= shape[d];
    }
    const int64_t rows = shape[c], cols = inner, ocs = ostride[c];
    std::vector<int64_t> idx(r, 0);
    int64_t ioff = 0, ooff = 0;
    const int64_t outer = total / (rows * cols);
    const int64_t T = 16;
    for (int64_t it = 0; it < outer; it++) {
      const uint32_t* xs = x + ioff;
      uint32_t* os = o + ooff;
      for (int64_t i0 = 0; i0 < rows; i0 += T)
        for (int64_t j0 = 0; j0 < cols; j0 += T) {
          const int64_t ie = std::min(rows, i0 + T), je = std::min(cols, j0 + T);
          for (int64_t j = j0; j < je; j++)
            for (int64_t i = i0; i < ie; i++) os[i * ocs + j] = xs[i + j * is];
        }
      for (int d = r - 2; d >= 0; d--) {
        if (d == c) continue;
        idx[d]++;
        ioff += stride[d];
        ooff += ostride[d];
        if (idx[d] < shape[d]) break;
        ioff -= stride[d] * shape[d];
        ooff -= ostride[d] * shape[d];
        idx[d] = 0;
      }
    }
    return info.Env().Undefined();
  }
  std::vector<int64_t> idx(r, 0);
  int64_t off = 0;
  const int64_t outer = total / inner;
  for (int64_t it = 0; it < outer; it++) {
    uint32_t* dst = o + it * inner;
    const uint32_t* src = x + off;
    for (int64_t j = 0; j < inner; j++) dst[j] = src[j];
    for (int d = r - 2; d >= 0; d--) {
      idx[d]++;
      off += stride[d];
      if (idx[d] < shape[d]) break;
      off -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- reductions
enum RedOp { R_SUM = 0, R_MEAN, R_MAX, R_MIN, R_PROD };

// reduce(op, x, out, shape, reducedMask)  reducedMask[d] = 1 when axis d is reduced. Adjacent
// axes of the same kind are merged; the innermost run is reduced along rows (horizontal) when
// reduced, or accumulated as vectors (vertical) when kept, in double precision.
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const int op = i32(info[0]);
  const float* x = f32(info[1]);
  float* o = f32(info[2]);
  const std::vector<int64_t> inShape = shapeOf(info[3]);
  const std::vector<int64_t> maskIn = shapeOf(info[4]);
  std::vector<int64_t> shape;
  std::vector<int> red;
  int64_t total = 1, outN = 1, count = 1;
  for (size_t d = 0; d < inShape.size(); d++) {
    total *= inShape[d];
    if (maskIn[d]) count *= inShape[d]; else outN *= inShape[d];
    if (inShape[d] == 1) continue;
    const int rd = maskIn[d] ? 1 : 0;
    if (!shape.empty() && red.back() == rd) {
      shape.back() *= inShape[d];
    } else {
      shape.push_back(inShape[d]);
      red.push_back(rd);
    }
  }
  const double init = op == R_MAX ? -INFINITY : op == R_MIN ? INFINITY : op == R_PROD ? 1.0 : 0.0;
  std::vector<double> acc(outN, init);
  if (total > 0) {
    if (shape.empty()) {
      shape.push_back(1);
      red.push_back(0);
    }
    const int r = (int)shape.size();
    // output strides over kept dims
    std::vector<int64_t> ostride(r, 0);
    int64_t q = 1;
    for (int d = r - 1; d >= 0; d--) {
      if (!red[d]) {
        ostride[d] = q;
        q *= shape[d];
      }
    }
    const int64_t inner = shape[r - 1];
    const bool innerRed = red[r - 1] == 1;
    const int64_t outer = total / inner;
    std::vector<int64_t> idx(r, 0);
    int64_t ooff = 0;
    for (int64_t it = 0; it < outer; it++) {
      const float* xr = x + it * inner;
      if (innerRed) {
        double a = acc[ooff];
        switch (op) {
          case R_SUM: case R_MEAN: for (int64_t j = 0; j < inner; j++) a += xr[j]; break;
          case R_MAX: for (int64_t j = 0; j < inner; j++) { if (xr[j] > a || std::isnan(xr[j])) a = xr[j]; } break;
          case R_MIN: for (int64_t j = 0; j < inner; j++) { if (xr[j] < a || std::isnan(xr[j])) a = xr[j]; } break;
          case R_PROD: for (int64_t j = 0; j < inner; j++) a *= xr[j]; break;
        }
        acc[ooff] = a;
      } else {
        double* ar = acc.data() + ooff;
        switch (op) {
          case R_SUM: case R_MEAN: for (int64_t j = 0; j < inner; j++) ar[j] += xr[j]; break;
          case R_MAX: for (int64_t j = 0; j < inner; j++) { if (xr[j] > ar[j] || std::isnan(xr[j])) ar[j] = xr[j]; } break;
          case R_MIN: for (int64_t j = 0; j < inner; j++) { if (xr[j] < ar[j] || std::isnan(xr[j])) ar[j] = xr[j]; } break;
          case R_PROD: for (int64_t j = 0; j < inner; j++) ar[j] *= xr[j]; break;
        }
      }
      for (int d = r - 2; d >= 0; d--) {
        idx[d]++;
        ooff += ostride[d];
        if (idx[d] < shape[d]) break;
        ooff -= ostride[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
  const double scale = op == R_MEAN ? 1.0 / (double)count : 1.0;
  for (int64_t i = 0; i < outN; i++) o[i] = (float)(acc[i] * scale);
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- fused helpers
// addN(out, [arrays...])
Napi::Value AddN(const Napi::CallbackInfo& info) {
  float* o = f32(info[0]);
  const size_t n = f32len(info[0]);
  Napi::Array arr = info[1].As<Napi::Array>();
  const uint32_t L = arr.Length();
  std::vector<const float*> xs(L);
  for (uint32_t t = 0; t < L; t++) xs[t] = f32(arr.Get(t));
  fbw::pool().parallelFor((int64_t)n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    std::fill(o + lo, o + hi, 0.f);
    for (uint32_t t = 0; t < L; t++) {
      const float* x = xs[t];
#pragma GCC ivdep
      for (int64_t i = lo; i < hi; i++) o[i] += x[i];
    }
  });
  return info.Env().Undefined();
}

// adamUpdate(v, g, m, s, lr, beta1, beta2, eps, step): in-place Adam (Kingma & Ba 2015) on one
// variable; bias correction as in tfjs's AdamOptimizer.
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  float* v = f32(info[0]);
  const float* g = f32(info[1]);
  float* m = f32(info[2]);
  float* s = f32(info[3]);
  const size_t n = f32len(info[0]);
  const float lr = (float)num(info[4]), b1 = (float)num(info[5]), b2 = (float)num(info[6]);
  const float eps = (float)num(info[7]);
  const double step = num(info[8]);
  const float c1 = (float)(1.0 - std::pow((double)b1, step));
  const float c2 = (float)(1.0 - std::pow((double)b2, step));
  fbw::pool().parallelFor((int64_t)n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
      v[i] -= lr * (m[i] / c1) / (std::sqrt(s[i] / c2) + eps);
    }
  });
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("blas", g_blas.name);
  o.Set("threads", fbw::pool().threads());
  o.Set("simd", fbw::simdName(fbw::gemmSimd()));
  o.Set("gemm", g_useBlas && g_blas.sgemm != nullptr ? "openblas" : "builtin");
  o.Set("lapack", g_blas.dgesv != nullptr);
  return o;
}

// setThreads(n): the slot's cores, for the pool and OpenBLAS alike.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int n = std::max(1, i32(info[0]));
  fbw::pool().resize(n);
  if (g_blas.set_threads != nullptr) {
    g_blas.set_threads(n);
    g_blas.threads = g_blas.get_threads != nullptr ? g_blas.get_threads() : n;
  }
  return Napi::Number::New(info.Env(), fbw::pool().threads());
}

// setBlas(use): GEMMs on OpenBLAS (when loaded) or on the built-in kernel; returns the choice.
Napi::Value SetBlas(const Napi::CallbackInfo& info) {
  g_useBlas = info[0].As<Napi::Boolean>();
  return Napi::Boolean::New(info.Env(), g_useBlas && g_blas.sgemm != nullptr);
}

// setSimd(name): caps the built-in GEMM's kernel family (tests run each); returns the one used.
Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  const std::string n = info[0].As<Napi::String>();
  const fbw::Simd want = n == "generic" ? fbw::Simd::Generic : n == "avx2" ? fbw::Simd::Avx2 : fbw::Simd::Avx512;
  return Napi::String::New(info.Env(), fbw::simdName(fbw::setGemmSimd(n == "auto" ? fbw::detectSimd() : want)));
}

// gemm(useBlas, ta, tb, m, n, k, A, B, C): one float32 GEMM on the chosen implementation.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const bool blas = info[0].As<Napi::Boolean>();
  if (blas && g_blas.sgemm == nullptr) {
    Napi::Error::New(info.Env(), "fbw-native: OpenBLAS is not loaded").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  sgemmWith(blas, info[1].As<Napi::Boolean>(), info[2].As<Napi::Boolean>(), i32(info[3]), i32(info[4]),
            i32(info[5]), f32(info[6]), f32(info[7]), f32(info[8]));
  return info.Env().Undefined();
}

// peakGflops(seconds, threads): float32 FMA throughput of a tight loop on `threads` cores at once.
Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  const double secs = num(info[0]);
  const int threads = std::max(1, std::min(i32(info[1]), fbw::pool().threads()));
  std::vector<double> per(threads, 0);
  fbw::pool().run(threads, [&](int t) { per[t] = fbw::peakGflops(secs); });
  double sum = 0;
  for (double v : per) sum += v;
  return Napi::Number::New(info.Env(), sum);
}

inline double* f64(const Napi::Value& v) { return v.As<Napi::Float64Array>().Data(); }

// solve(A, B, d, m, useLapack): A X = B in place (float64, row-major; B becomes X, A is
// destroyed). LAPACK dgesv when OpenBLAS is loaded and useLapack, else the built-in blocked LU.
// Returns 0, or c+1 when column c has no pivot (singular).
Napi::Value Solve(const Napi::CallbackInfo& info) {
  double* a = f64(info[0]);
  double* b = f64(info[1]);
  const int d = i32(info[2]), m = i32(info[3]);
  const bool lapack = info[4].As<Napi::Boolean>() && g_blas.dgesv != nullptr;
  if (!lapack) return Napi::Number::New(info.Env(), (double)fbw::luSolve(a, b, d, m));
  // LAPACK is column-major: hand it Aᵀ's buffer transposed back (A itself) and B column-major.
  std::vector<double> at((size_t)d * d), bt((size_t)d * m);
  for (int r = 0; r < d; r++)
    for (int c = 0; c < d; c++) at[(size_t)c * d + r] = a[(size_t)r * d + c];
  for (int r = 0; r < d; r++)
    for (int c = 0; c < m; c++) bt[(size_t)c * d + r] = b[(size_t)r * m + c];
  std::vector<int> ipiv(d);
  int dd = d, nrhs = m, lda = d, ldb = d, infoOut = 0;
  g_blas.dgesv(&dd, &nrhs, at.data(), &lda, ipiv.data(), bt.data(), &ldb, &infoOut);
  if (infoOut > 0) return Napi::Number::New(info.Env(), infoOut);
  for (int r = 0; r < d; r++)
    for (int c = 0; c < m; c++) b[(size_t)r * m + c] = bt[(size_t)c * d + r];
  return Napi::Number::New(info.Env(), 0);
}

// regmeanAccumulate(A, B, G, W, d, o, alpha): RegMean's sums for one model and layer,
// A += G̃ and B += G̃ Wᵀ, with G̃ = G whose off-diagonal entries are scaled by alpha
// (A, G [d,d] and B [d,o] float64; W [o,d] float32, the Linear weight as stored).
Napi::Value RegmeanAccumulate(const Napi::CallbackInfo& info) {
  double* A = f64(info[0]);
  double* B = f64(info[1]);
  const double* G = f64(info[2]);
  const float* W = f32(info[3]);
  const int64_t d = i32(info[4]), o = i32(info[5]);
  const double alpha = num(info[6]);
  std::vector<double> gt((size_t)(d * d)), w((size_t)(o * d));
  for (int64_t r = 0; r < d; r++)
    for (int64_t c = 0; c < d; c++) {
      const double v = r == c ? G[r * d + c] : G[r * d + c] * alpha;
      gt[r * d + c] = v;
      A[r * d + c] += v;
    }
  for (int64_t i = 0; i < o * d; i++) w[i] = W[i];
  if (g_useBlas && g_blas.dgemm != nullptr)
    g_blas.dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)o, (int)d, 1.0, gt.data(), (int)d,
                 w.data(), (int)d, 1.0, B, (int)o);
  else
    fbw::dgemmBuiltin(false, true, d, o, d, 1.0, gt.data(), d, w.data(), d, true, B, o);
  return info.Env().Undefined();
}

// release(array): hands the whole pages inside a pooled buffer back to the kernel (madvise
// MADV_DONTNEED), so resident memory drops at once instead of when the garbage collector frees the
// ArrayBuffer. The buffer stays valid; its released pages read as zeros and are faulted back in on
// next use. Only for buffers no one reads any more (the backend's own pool). Returns the bytes
// released (0 where madvise is unavailable).
Napi::Value Release(const Napi::CallbackInfo& info) {
  double released = 0;
#if defined(__unix__) || defined(__APPLE__)
  Napi::TypedArray t = info[0].As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = t.ArrayBuffer();
  const uintptr_t start = reinterpret_cast<uintptr_t>(ab.Data()) + t.ByteOffset();
  const uintptr_t end = start + t.ByteLength();
  static const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  const uintptr_t lo = (start + page - 1) / page * page, hi = end / page * page;
  if (hi > lo && madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED) == 0) released = (double)(hi - lo);
#endif
  return Napi::Number::New(info.Env(), released);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  loadBlas();
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("addN", Napi::Function::New(env, AddN));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("setBlas", Napi::Function::New(env, SetBlas));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("peakGflops", Napi::Function::New(env, PeakGflops));
  exports.Set("solve", Napi::Function::New(env, Solve));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("regmeanAccumulate", Napi::Function::New(env, RegmeanAccumulate));
  return exports;
}

}  // namespace

NODE_API_MODULE(fbw_kernels, Init)
