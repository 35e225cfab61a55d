// The training engine's front: argument checks and backend dispatch, in one place for both backends
// (the CPU trainer is mlp_cpu.cpp + gemm.cpp + adamw.cpp, the CUDA trainer mlp_cuda.cu).
#include <string>
#include <vector>

#include "cuda_api.h"
#include "mlp.h"
#include "mlp_init.h"

namespace grokinfo {

Status Trainer::create(Backend backend, const ArchSpec& arch, const TaskData& data,
                       const std::vector<ModelHyper>& models, std::unique_ptr<Trainer>* out) {
  Status st = validate_arch(arch);
  if (!st.ok()) return st;
  st = validate_task(arch, data);
  if (!st.ok()) return st;
  if (models.empty() || models.size() > 100000)
    return Status::Error(Code::INVALID_ARGUMENT, "models must list 1 to 100000 models");
  for (size_t i = 0; i < models.size(); i++) {
    st = validate_hyper(models[i], static_cast<int32_t>(i));
    if (!st.ok()) return st;
  }
  if (backend == Backend::CUDA) {
    // The initial parameters are drawn on the host for every backend (the same numbers everywhere).
    const int64_t n = mlp_param_count(arch);
    std::vector<float> initial(static_cast<size_t>(n) * models.size());
    for (size_t i = 0; i < models.size(); i++) mlp_init_params(arch, models[i], initial.data() + i * n);
    return trainer_create_cuda(arch, data, models, initial, out);
  }
  if (backend != Backend::CPU) return Status::Error(Code::INVALID_ARGUMENT, "unknown backend");
  return trainer_create_cpu(arch, data, models, out);
}

}  // namespace grokinfo
