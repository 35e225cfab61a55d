// The O-information engine's front: argument checks and backend dispatch, in one place for both
// backends (the CPU engine is oinfo_cpu.cpp + copula.cpp + clustering.cpp, the CUDA engine the
// oinfo_cuda*.cu files; neither re-checks what is checked here).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cuda_api.h"
#include "oinfo.h"
#include "oinfo_cpu.h"
#include "oinfo_detail.h"

namespace grokinfo {

namespace {

Status check_common(double scale, int32_t top_k) {
  if (!(scale > 0) || !std::isfinite(scale))
    return Status::Error(Code::INVALID_ARGUMENT, "scale: must be a positive finite number");
  if (top_k < 0) return Status::Error(Code::INVALID_ARGUMENT, "top_k: must be >= 0");
  return Status::Ok();
}

Status check_measure(int64_t batch, int64_t N, int64_t H, const MeasureOptions& opt) {
  if (batch < 1 || N < 3 || H < 1)
    return Status::Error(Code::INVALID_ARGUMENT, "measure: need batch >= 1, rows >= 3, columns >= 1");
  if (opt.bins < 2) return Status::Error(Code::INVALID_ARGUMENT, "bins: must be >= 2 (got " + std::to_string(opt.bins) + ")");
  return check_common(opt.scale, opt.top_k);
}

Status check_bins(int64_t batch, int64_t N, int64_t H, const BinsOptions& opt) {
  Status s = check_measure(batch, N, H, opt.m);
  if (!s.ok()) return s;
  if (opt.min_size < 2 || (opt.max_size != 0 && opt.max_size < opt.min_size) || opt.min_size > opt.m.bins ||
      opt.max_size > opt.m.bins)
    return Status::Error(Code::INVALID_ARGUMENT, "sizes: need 2 <= min_size <= max_size <= bins (" + std::to_string(opt.m.bins) +
                                                     "), got min_size " + std::to_string(opt.min_size) + ", max_size " +
                                                     std::to_string(opt.max_size));
  if (opt.stream_path && batch != 1) return Status::Error(Code::INVALID_ARGUMENT, "stream_path: only with batch 1");
  return Status::Ok();
}

Status cpu_only(const char* what) {
  return Status::Error(Code::BACKEND_UNAVAILABLE, std::string("backend 'cuda': ") + what + " runs on the CPU backend only");
}

}  // namespace

Status check_multiplets(const double* cov, int64_t batch, int64_t D, const Units& un, const OInfoOptions& opt,
                        int32_t* maxvars_out) {
  if (batch < 1 || D < 1) return Status::Error(Code::INVALID_ARGUMENT, "batch and D must be >= 1");
  Status st = check_common(opt.scale, opt.top_k);
  if (!st.ok()) return st;
  if (opt.stream_path && batch != 1) return Status::Error(Code::INVALID_ARGUMENT, "stream_path: only with batch 1");
  if (un.count < 1 || static_cast<int32_t>(un.offsets.size()) != un.count + 1)
    return Status::Error(Code::INVALID_ARGUMENT, "units: need at least one unit and count + 1 offsets");
  if (opt.min_size < 2 || opt.max_size < opt.min_size || opt.max_size > un.count)
    return Status::Error(Code::INVALID_ARGUMENT, "sizes: need 2 <= min_size <= max_size <= units (" +
                                                     std::to_string(un.count) + "), got min_size " +
                                                     std::to_string(opt.min_size) + ", max_size " + std::to_string(opt.max_size));
  if (opt.max_size > 1000) return Status::Error(Code::INVALID_ARGUMENT, "max_size: must be <= 1000");
  std::vector<char> seen(static_cast<size_t>(D), 0);
  std::vector<int32_t> sizes;
  for (int32_t u = 0; u < un.count; ++u) {
    const int32_t a = un.offsets[u], e = un.offsets[u + 1];
    if (e <= a) return Status::Error(Code::INVALID_ARGUMENT, "units: unit " + std::to_string(u) + " is empty");
    for (int32_t i = a; i < e; ++i) {
      const int32_t v = un.members[i];
      if (v < 0 || v >= D)
        return Status::Error(Code::INVALID_ARGUMENT, "units: variable " + std::to_string(v) + " of unit " +
                                                         std::to_string(u) + " is out of range [0, " + std::to_string(D) + ")");
      if (seen[v]) return Status::Error(Code::INVALID_ARGUMENT, "units: variable " + std::to_string(v) + " appears twice");
      seen[v] = 1;
    }
    sizes.push_back(e - a);
  }
  std::sort(sizes.rbegin(), sizes.rend());
  int32_t maxvars = 0;
  for (int32_t i = 0; i < opt.max_size; ++i) maxvars += sizes[i];
  if (maxvars_out) *maxvars_out = maxvars;
  for (int64_t b = 0; b < batch; ++b) {
    const double* C = cov + b * D * D;
    for (int32_t u = 0; u < un.count; ++u)
      for (int32_t i = un.offsets[u]; i < un.offsets[u + 1]; ++i) {
        const int32_t v = un.members[i];
        const double c = C[static_cast<int64_t>(v) * D + v];
        if (!(c > 0) || !std::isfinite(c)) {
          const std::string label = batch > 1 ? " (covariance #" + std::to_string(b) + ")" : "";
          return Status::Error(Code::INVALID_DATA, "covariance" + label + ": variable " + std::to_string(v) + " (unit " +
                                                       std::to_string(u) + ") has variance " + std::to_string(c) +
                                                       " (constant or invalid column)");
        }
      }
  }
  if (detail::lattice_nodes(un.count, opt.max_size) == detail::kSaturated)
    return Status::Error(Code::INVALID_ARGUMENT, "sizes: too many multiplets (overflow)");
  if (opt.bias_samples > 0 && opt.bias_samples <= maxvars)
    return Status::Error(Code::INVALID_ARGUMENT, "bias correction: needs more samples (" + std::to_string(opt.bias_samples) +
                                                     ") than variables in a multiplet (" + std::to_string(maxvars) + ")");
  return Status::Ok();
}

OInfoEngine::OInfoEngine(Backend backend) : backend_(backend), ws_(cpu::new_scratch()) {}
OInfoEngine::~OInfoEngine() { cpu::delete_scratch(ws_); }

Status OInfoEngine::multiplets(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                               std::vector<OInfoResult>& results, const Control& ctl) {
  Status s = check_multiplets(cov, batch, D, units, opt);
  if (!s.ok()) return s;
  if (backend_ == Backend::CUDA) return oinfo_multiplets_cuda(cov, batch, D, units, opt, results, ctl);
  return cpu::oinfo_multiplets(*ws_, cov, batch, D, units, opt, results, ctl);
}

Status OInfoEngine::measure(const float* Z, int64_t batch, int64_t N, int64_t H, const MeasureOptions& opt,
                            std::vector<MeasureResult>& results, const Control& ctl) {
  Status s = check_measure(batch, N, H, opt);
  if (!s.ok()) return s;
  if (backend_ == Backend::CUDA) return measure_checkpoints_cuda(Z, batch, N, H, opt, results, ctl);
  BinsOptions bo;
  bo.m = opt;
  return cpu::measure_bins(*ws_, Z, batch, N, H, bo, results, ctl);
}

Status OInfoEngine::measure_bins(const float* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                                 std::vector<MeasureResult>& results, const Control& ctl) {
  Status s = check_bins(batch, N, H, opt);
  if (!s.ok()) return s;
  if (backend_ == Backend::CUDA) return cpu_only("the bins pipeline with sizes or a stream");
  return cpu::measure_bins(*ws_, Z, batch, N, H, opt, results, ctl);
}

Status OInfoEngine::measure_bins(const double* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                                 std::vector<MeasureResult>& results, const Control& ctl) {
  Status s = check_bins(batch, N, H, opt);
  if (!s.ok()) return s;
  if (backend_ == Backend::CUDA) return cpu_only("the bins pipeline with sizes or a stream");
  return cpu::measure_bins(*ws_, Z, batch, N, H, opt, results, ctl);
}

Status oinfo_multiplets(Backend backend, const double* cov, int64_t batch, int64_t D, const Units& units,
                        const OInfoOptions& opt, std::vector<OInfoResult>& results, const Control& ctl) {
  OInfoEngine e(backend);
  return e.multiplets(cov, batch, D, units, opt, results, ctl);
}

Status measure_checkpoints(Backend backend, const float* Z, int64_t batch, int64_t N, int64_t H,
                           const MeasureOptions& opt, std::vector<MeasureResult>& results, const Control& ctl) {
  OInfoEngine e(backend);
  return e.measure(Z, batch, N, H, opt, results, ctl);
}

}  // namespace grokinfo
