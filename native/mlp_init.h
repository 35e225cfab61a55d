// Host-side pieces shared by every training backend: argument validation, the parameter layout,
// the seeded PyTorch-style initialisation (with the alpha / zero-output / target-norm rules of
// METHOD.md §1) and the weight norm. The CPU trainer and the CUDA trainer both start from here, so a
// seed gives the same initial parameters on every backend and whatever the number of models.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "mlp.h"

namespace grokinfo {

// One parameter tensor of the flat per-model layout of mlp.h.
struct ParamTensor {
  int32_t layer = 0;
  bool bias = false;
  int64_t offset = 0;  // in floats
  int64_t rows = 0;    // out features (a bias has rows = out features, cols = 1)
  int64_t cols = 0;    // in features
  int64_t size() const { return rows * cols; }
};

// Tensors in layout order: W_0, b_0 (if any), W_1, ...
std::vector<ParamTensor> mlp_param_layout(const ArchSpec& arch);

// INVALID_ARGUMENT naming the field when an architecture, a split or a hyper-parameter is out of range;
// INVALID_DATA naming the row when a token >= vocab or a label >= out.
Status validate_arch(const ArchSpec& arch);
Status validate_task(const ArchSpec& arch, const TaskData& data);
Status validate_hyper(const ModelHyper& h, int32_t index);

// The minibatch sampler (mlp.h): epoch `epoch`'s order of the n training samples for a model with
// this batch seed. Fisher-Yates from the identity, j = floor(uniform * (i + 1)) for i = n-1 .. 1, with
// an Rng seeded by splitmix64(batch_seed) ^ epoch (splitmix64 with the golden-ratio increment, as Rng
// seeds itself). Host-side, so every backend and any number of models trained together see the same.
void batch_permutation(uint64_t batch_seed, int64_t epoch, int64_t n, int32_t* out);

// Small deterministic generator (splitmix64 seeding xoshiro256**).
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();  // [0, 1), 53 bits
 private:
  uint64_t s_[4];
};

// Draws the initial parameters of one model into `out` (mlp_param_count floats): weights and biases
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from Rng(seed) in layout order; then weight matrices (and biases
// when omnigrok_biases) times alpha; the target norm recorded; then the output matrix zeroed when
// zero_output. Returns the target norm (what constant_norm rescales back to).
double mlp_init_params(const ArchSpec& arch, const ModelHyper& h, float* out);

// sqrt(sum of squares) of the weight matrices (and biases when include_biases), in double.
double mlp_weight_norm(const ArchSpec& arch, const float* params, bool include_biases);

// Multiplies the weight matrices (and biases when include_biases) by `factor`.
void mlp_scale_weights(const ArchSpec& arch, float* params, bool include_biases, float factor);
// The same over a layout computed once (no allocation per call).
double mlp_weight_norm(const std::vector<ParamTensor>& layout, const float* params, bool include_biases);
void mlp_scale_weights(const std::vector<ParamTensor>& layout, float* params, bool include_biases, float factor);

// True when every parameter is finite.
bool all_finite(const float* x, int64_t n);

// The CPU backend's trainer (mlp_cpu.cpp); arguments already checked by Trainer::create (mlp.cpp).
Status trainer_create_cpu(const ArchSpec& arch, const TaskData& data, const std::vector<ModelHyper>& models,
                          std::unique_ptr<Trainer>* out);

}  // namespace grokinfo
