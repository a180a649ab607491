// Blocked right-looking LU with partial pivoting (LAPACK's dgetrf/dgetrs scheme): each panel of
// NB columns is factored with row pivoting, the rows of U to its right and of B are updated by
// the panel's unit-lower triangle, and the trailing matrix (and the rest of B) by one GEMM;
// back substitution runs block by block from the bottom, again one GEMM per block. With NB ≪ d
// nearly all of the 2/3·d³ + 2·d²·m flops are GEMM flops. Used when no LAPACK (OpenBLAS) is
// loaded. Reference: Golub & Van Loan, "Matrix Computations", 4th ed., §3.2 (Gaussian
// elimination with partial pivoting) and §3.2.11 (block formulation).
#include "linalg.h"

#include <algorithm>
#include <cmath>

#include "gemm.h"
#include "threadPool.h"

namespace fbw {

int64_t luSolve(double* a, double* b, int64_t d, int64_t m) {
  const int64_t NB = 64;
  for (int64_t j0 = 0; j0 < d; j0 += NB) {
    const int64_t j1 = std::min(d, j0 + NB);
    // Panel: columns [j0, j1) of rows [j0, d), multipliers stored below the diagonal.
    for (int64_t c = j0; c < j1; c++) {
      int64_t piv = c;
      double best = std::fabs(a[c * d + c]);
      for (int64_t r = c + 1; r < d; r++) {
        const double v = std::fabs(a[r * d + c]);
        if (v > best) {
          best = v;
          piv = r;
        }
      }
      if (best == 0 || std::isnan(best)) return c + 1;
      if (piv != c) {
        std::swap_ranges(a + c * d, a + (c + 1) * d, a + piv * d);
        std::swap_ranges(b + c * m, b + (c + 1) * m, b + piv * m);
      }
      const double inv = 1 / a[c * d + c];
      const double* prow = a + c * d;
      pool().parallelFor(d - c - 1, 256, [&](int64_t lo, int64_t hi) {
        for (int64_t r = c + 1 + lo; r < c + 1 + hi; r++) {
          double* row = a + r * d;
          const double f = row[c] * inv;
          row[c] = f;
          if (f == 0) continue;
          for (int64_t j = c + 1; j < j1; j++) row[j] -= f * prow[j];
        }
      });
    }
    // Rows [j0, j1) to the right of the panel, and of B: apply L11⁻¹.
    for (int64_t c = j0; c < j1; c++) {
      const double* prow = a + c * d;
      const double* pb = b + c * m;
      for (int64_t r = c + 1; r < j1; r++) {
        const double f = a[r * d + c];
        if (f == 0) continue;
        double* row = a + r * d;
        for (int64_t j = j1; j < d; j++) row[j] -= f * prow[j];
        double* br = b + r * m;
        for (int64_t j = 0; j < m; j++) br[j] -= f * pb[j];
      }
    }
    // Trailing update: A22 -= L21·U12, B2 -= L21·B1.
    if (j1 < d) {
      dgemmBuiltin(false, false, d - j1, d - j1, j1 - j0, -1.0, a + j1 * d + j0, d, a + j0 * d + j1, d,
                   true, a + j1 * d + j1, d);
      dgemmBuiltin(false, false, d - j1, m, j1 - j0, -1.0, a + j1 * d + j0, d, b + j0 * m, m, true,
                   b + j1 * m, m);
    }
  }
  // Back substitution U X = B, blocks from the bottom.
  const int64_t last = ((d - 1) / NB) * NB;
  for (int64_t j0 = last; j0 >= 0; j0 -= NB) {
    const int64_t j1 = std::min(d, j0 + NB);
    if (j1 < d)
      dgemmBuiltin(false, false, j1 - j0, m, d - j1, -1.0, a + j0 * d + j1, d, b + j1 * m, m, true,
                   b + j0 * m, m);
    for (int64_t c = j1 - 1; c >= j0; c--) {
      double* bc = b + c * m;
      for (int64_t q = c + 1; q < j1; q++) {
        const double f = a[c * d + q];
        const double* bq = b + q * m;
        for (int64_t j = 0; j < m; j++) bc[j] -= f * bq[j];
      }
      const double inv = 1 / a[c * d + c];
      for (int64_t j = 0; j < m; j++) bc[j] *= inv;
    }
  }
  return 0;
}

}  // namespace fbw
