// Backend availability, and the CUDA entry points of a build without CUDA.
#include "cuda_api.h"

namespace grokinfo {

#ifndef GROKINFO_WITH_CUDA
static Status no_cuda() {
  return Status::Error(Code::BACKEND_UNAVAILABLE,
                       "backend 'cuda' is not available: this addon was built without CUDA "
                       "(no nvcc at build time, or GROKINFO_CUDA=OFF); use backend 'cpu' or 'auto'");
}

bool cuda_available(std::string* why) {
  if (why) *why = "built without CUDA";
  return false;
}

Status oinfo_multiplets_cuda(const double*, int64_t, int64_t, const Units&, const OInfoOptions&,
                             std::vector<OInfoResult>&, const Control&) {
  return no_cuda();
}

Status measure_checkpoints_cuda(const float*, int64_t, int64_t, int64_t, const MeasureOptions&,
                                std::vector<MeasureResult>&, const Control&) {
  return no_cuda();
}

Status trainer_create_cuda(const ArchSpec&, const TaskData&, const std::vector<ModelHyper>&,
                           const std::vector<float>&, std::unique_ptr<Trainer>*) {
  return no_cuda();
}
#endif

}  // namespace grokinfo
