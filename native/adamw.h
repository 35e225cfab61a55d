// Optimiser updates of the training engine, elementwise over a model's flat parameters, following
// PyTorch's single-tensor (for-loop) implementations in float32:
//   AdamW: p *= 1 - lr*wd; m = m.lerp(g, 1 - beta1); v = v*beta2 + (1 - beta2)*g*g;
//          step_size = lr / (1 - beta1^t); denom = sqrt(v) / sqrt(1 - beta2^t) + eps;
//          p += -step_size * m / denom
//   Adam:  the same with g += wd*p (L2) instead of the decoupled decay
//   SGD:   p -= lr * (g + wd*p)
#pragma once
#include <cstdint>

#include "mlp.h"

namespace grokinfo {

struct OptimStep {
  Optimizer kind = Optimizer::AdamW;
  float lr = 0, wd = 0, decay = 1;          // decay = 1 - lr*wd (AdamW)
  float beta1 = 0.9f, beta2 = 0.999f, one_minus_beta1 = 0.1f, one_minus_beta2 = 0.001f;
  float step_size = 0, bc2_sqrt = 1, eps = 1e-8f;
};

// The scalars of step `t` (1-based), computed in double as PyTorch does in Python, then rounded.
OptimStep optim_step(const ModelHyper& h, int64_t t);

// One update of n parameters. m and v are unused by SGD.
void optim_update(const OptimStep& s, float* p, float* m, float* v, const float* g, int64_t n);

}  // namespace grokinfo
