// The straightforward baseline the O-information engine is benchmarked against: every multiplet
// independently gathers C_S, factorises it (Cholesky), inverts the factor and evaluates
// Omega = -ln|C_S| + 1/2 sum ln C_jj - 1/2 sum ln P_jj. Same language, same OpenMP threads.
// Compiled into the core library (CMakeLists.txt) so the addon can time it; not used by the library.
#pragma once
#include <vector>

#include "oinfo.h"

namespace grokinfo {

// Individual (non-grouped) Omega of every multiplet; with stride > 1 only every stride-th multiplet
// of each size (by lexicographic rank) is evaluated (for timing samples); result.count says how many.
Status oinfo_multiplets_baseline(const double* cov, int64_t D, const Units& units, const OInfoOptions& opt,
                                 uint64_t stride, OInfoResult& result, const Control& ctl = Control());

// Omega (scaled, bias-corrected as opt says) of the given multiplets (unit lists), each from scratch.
Status oinfo_values_baseline(const double* cov, int64_t D, const Units& units, const OInfoOptions& opt,
                             const std::vector<std::vector<int32_t>>& multiplets, std::vector<double>& values);

// measure_checkpoints with the baseline multiplet loop (same dead-column rule, Ward and copula).
Status measure_checkpoints_baseline(const float* Z, int64_t batch, int64_t N, int64_t H, const MeasureOptions& opt,
                                    std::vector<MeasureResult>& results, const Control& ctl = Control());

// The engine forced onto its general (block) walker, also in variables mode (defined in oinfo_cpu.cpp).
Status oinfo_multiplets_general(const double* cov, int64_t batch, int64_t D, const Units& units,
                                const OInfoOptions& opt, std::vector<OInfoResult>& results, const Control& ctl);

}  // namespace grokinfo
