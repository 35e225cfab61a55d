// Optimiser updates (see adamw.h for the exact formulas).
#include "adamw.h"

#include <cmath>

namespace grokinfo {

OptimStep optim_step(const ModelHyper& h, int64_t t) {
  OptimStep s;
  s.kind = h.optimizer;
  s.lr = static_cast<float>(h.lr);
  s.wd = static_cast<float>(h.weight_decay);
  s.decay = static_cast<float>(1.0 - h.lr * h.weight_decay);
  s.beta1 = static_cast<float>(h.beta1);
  s.beta2 = static_cast<float>(h.beta2);
  s.one_minus_beta1 = static_cast<float>(1.0 - h.beta1);
  s.one_minus_beta2 = static_cast<float>(1.0 - h.beta2);
  const double bc1 = 1.0 - std::pow(h.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(h.beta2, static_cast<double>(t));
  s.step_size = static_cast<float>(h.lr / bc1);
  s.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  s.eps = static_cast<float>(h.eps);
  return s;
}

void optim_update(const OptimStep& s, float* __restrict p, float* __restrict m, float* __restrict v,
                  const float* __restrict g, int64_t n) {
  if (s.kind == Optimizer::SGD) {
    for (int64_t i = 0; i < n; i++) {
      const float gi = s.wd != 0.0f ? g[i] + s.wd * p[i] : g[i];
      p[i] = p[i] - s.lr * gi;
    }
    return;
  }
  const bool adamw = s.kind == Optimizer::AdamW;
  const float w = s.one_minus_beta1;
  for (int64_t i = 0; i < n; i++) {
    float pi = p[i];
    float gi = g[i];
    if (adamw) pi = pi * s.decay;
    else if (s.wd != 0.0f) gi = gi + s.wd * pi;
    // torch.lerp: weight < 0.5 ? self + weight*(end - self) : end - (end - self)*(1 - weight)
    const float mi = w < 0.5f ? m[i] + w * (gi - m[i]) : gi - (gi - m[i]) * (1.0f - w);
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * gi * gi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    pi = pi + (-s.step_size) * (mi / denom);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi;
  }
}

}  // namespace grokinfo
