// Dense linear solves for the merge methods that need them (RegMean's per-layer least squares).
#pragma once

#include <cstdint>

namespace fbw {

/**
 * Solves A X = B in place (A [d,d], B [d,m], row-major float64): on return B holds X and A its
 * LU factors. LU with partial pivoting, blocked so the O(d³) work runs in the built-in GEMM.
 * Returns 0, or c+1 when column c has no non-zero pivot (A singular).
 */
int64_t luSolve(double* a, double* b, int64_t d, int64_t m);

}  // namespace fbw
