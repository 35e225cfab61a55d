// Entry points of the CUDA backend. Defined in the .cu files when the addon is built with CUDA;
// otherwise backend.cpp defines them to return BACKEND_UNAVAILABLE. Called only by the CPU-side
// fronts (OInfoEngine in oinfo.cpp, Trainer::create in mlp.cpp), never from bindings/.
#pragma once
#include <memory>
#include <vector>

#include "mlp.h"
#include "oinfo.h"

namespace grokinfo {

Status oinfo_multiplets_cuda(const double* cov, int64_t batch, int64_t D, const Units& units,
                             const OInfoOptions& opt, std::vector<OInfoResult>& results,
                             const Control& ctl);

Status measure_checkpoints_cuda(const float* Z, int64_t batch, int64_t N, int64_t H,
                                const MeasureOptions& opt, std::vector<MeasureResult>& results,
                                const Control& ctl);

// `initial` holds models.size() x mlp_param_count(arch) floats drawn on the host (the shared init).
Status trainer_create_cuda(const ArchSpec& arch, const TaskData& data,
                           const std::vector<ModelHyper>& models, const std::vector<float>& initial,
                           std::unique_ptr<Trainer>* out);

}  // namespace grokinfo
