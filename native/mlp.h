// Training engine: many MLPs of one shape trained together, full batch or in seeded minibatches, on
// one split of a classification task (METHOD.md §1). CPU implementation in mlp_cpu.cpp (+ gemm.cpp,
// adamw.cpp), CUDA in mlp_cuda.cu.
//
// Model (one per "model slot"), two input kinds:
// - PairOneHot (modular arithmetic): inputs are two tokens a, b in [0, vocab); layer 0 sees the
//   concatenation one_hot(a) ++ one_hot(b) (2*vocab inputs), so its pre-activation is
//   W0[:, a] + W0[:, vocab + b] (+ b0): a gather, never a product with a one-hot matrix.
// - Dense (e.g. MNIST pixels): inputs are rows x of input_dim floats; layer 0 is W0 x (+ b0), a GEMM.
// Then ReLU hidden layers, then a linear output layer (classes = `out`). Loss: mean cross-entropy, or
// MSE on one-hot targets (PyTorch nn.MSELoss(reduction='mean'): the mean over samples AND classes of
// (z_c - onehot(y)_c)^2, as Omnigrok's MNIST code trains it). Checked in KindXiaoming/Omnigrok,
// mnist/grokking/mnist-grokking.ipynb: the step's loss is nn.MSELoss()(mlp(x), one_hots[labels]) (mean
// reduction over the batch and the 10 classes), batches from DataLoader(batch_size=200, shuffle=True)
// cycled, all parameters (biases too) scaled by the init scale, AdamW(lr=1e-3, weight_decay=0.01),
// depth 3 = three nn.Linear (784-200-200-10), in float64. Its logged losses (compute_loss) are NOT this
// objective: MSELoss(reduction='sum') / points, the sum over classes, i.e. 10x the mean reported here.
//
// Minibatches (arch.batch_size = B, 0 < B < n): epoch e of a model trains on a permutation of the n
// training samples drawn on the host from (ModelHyper::batch_seed, e) (batch_permutation in
// mlp_init.h: the same on every backend, whatever the number of models trained together), cut into
// ceil(n/B) consecutive batches, the last one smaller (PyTorch DataLoader shuffle=True,
// drop_last=False); step k uses epoch k / nb, batch k % nb, so the position is a function of the step
// counter alone and a resume is bitwise. B = 0 or B = n is full batch (no permutation).
//
// Parameter layout of one model (float32, flat, PyTorch Linear layout and order):
//   for l in 0..L: W_l (rows = out_l, cols = in_l, row-major) then b_l if that layer has a bias,
// where in_0 = 2*vocab (PairOneHot) or input_dim (Dense), out_l = hidden[l] for l < L, out_L = out.
// Names (safetensors / ONNX): "layers.{l}.weight", "layers.{l}.bias".
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common.h"

namespace grokinfo {

// No field below has a working default: the caller (bindings/train.cpp, from src/training/trainer.ts, whose
// values come from the run-configuration schema src/config/schema.ts) always sets every one. The initial
// values are invalid on purpose (validate_arch / validate_hyper refuse them), so a forgotten field is
// an error, not a silent default.
constexpr int32_t kMaxLayers = 16;   // most hidden layers; equals MAX_LAYERS of src/config/schema.ts (tested)

enum class InputKind : int { PairOneHot = 0, Dense = 1 };
enum class Loss : int { CrossEntropy = 0, MSE = 1 };

struct ArchSpec {
  InputKind input = static_cast<InputKind>(-1);
  int32_t vocab = -1;                // p (PairOneHot); 0 for Dense
  int32_t input_dim = -1;            // features per sample (Dense); 0 for PairOneHot
  std::vector<int32_t> hidden;       // widths of the ReLU hidden layers (1 to kMaxLayers)
  int32_t out = 0;                   // classes
  bool bias_first = false;           // bias of layer 0
  bool bias_hidden = false;          // biases of layers 1..L-1 (hidden -> hidden)
  bool bias_out = false;             // bias of the output layer
  Loss loss = static_cast<Loss>(-1);
  int32_t batch_size = -1;           // samples per optimiser step: 0 = full batch, else 1..ntrain
                                     // (shape-level: models of different batch sizes never share a trainer)
};

// Features seen by layer 0: 2*vocab (PairOneHot) or input_dim (Dense).
inline int64_t input_width(const ArchSpec& a) {
  return a.input == InputKind::Dense ? static_cast<int64_t>(a.input_dim) : 2 * static_cast<int64_t>(a.vocab);
}

struct TaskData {                    // shared by every model of a trainer (one split)
  std::vector<int32_t> train_a, train_b, train_y;   // a, b: PairOneHot only (empty for Dense)
  std::vector<int32_t> test_a, test_b, test_y;      // y: class ids (MSE targets are their one-hots)
  std::vector<float> train_x, test_x;               // Dense only: n x input_dim, row-major, finite
};

enum class Optimizer : int { AdamW = 0, Adam = 1, SGD = 2 };

struct ModelHyper {
  static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
  uint64_t seed = 0;                 // initialisation seed
  uint64_t batch_seed = 0;           // minibatch sampler seed (unused in full batch)
  Optimizer optimizer = static_cast<Optimizer>(-1);
  double lr = kUnset;
  double weight_decay = kUnset;      // AdamW: decoupled p *= 1 - lr*wd on every parameter (biases too);
                                     // Adam/SGD: L2, g += wd * p
  double beta1 = kUnset, beta2 = kUnset, eps = kUnset;
  double alpha = kUnset;             // init scale of every weight matrix (not biases)
  bool zero_output = false;          // zero the output weight matrix after scaling
  bool constant_norm = false;        // after every step rescale all weight matrices by one common
                                     // factor back to the norm recorded at init (before zeroing)
  bool omnigrok_biases = false;      // Omnigrok variant: biases are scaled by alpha, counted in the
                                     // target norm and rescaled with the weights
  std::vector<float> initial;        // when not empty (param_count values, layout above): these values
                                     // replace the seeded draw; alpha / zero-output / target norm apply
};

struct EvalResult {
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  double weight_norm = 0;            // sqrt(sum of squares of all weight matrices)
  bool failed = false;               // non-finite loss/parameters: the model is frozen from then on
  std::string failure;               // why (e.g. "non-finite training loss at step 1234")
};

struct ActivationBatch {
  Backend backend = Backend::CPU;
  int64_t batch = 0, rows = 0, width = 0;
  float* data = nullptr;             // host (CPU) or device (CUDA) memory, batch x rows x width
  virtual ~ActivationBatch() = default;  // frees data
};

class Trainer {
 public:
  virtual ~Trainer() = default;

  // Creates a trainer for models.size() models and initialises every model: PyTorch's default
  // Linear init (weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))) drawn from a generator
  // seeded by ModelHyper::seed on the host (the same numbers on every backend and regardless of
  // how many models are trained together), then the alpha / zero-output / target-norm rules.
  static Status create(Backend backend, const ArchSpec& arch, const TaskData& data,
                       const std::vector<ModelHyper>& models, std::unique_ptr<Trainer>* out);

  virtual int32_t models() const = 0;
  virtual int64_t param_count() const = 0;   // per model
  virtual int64_t steps_done() const = 0;

  // nsteps optimiser steps (full batch or the next minibatches) for every model that has not failed. A model whose loss or
  // parameters become non-finite is marked failed (with the step) and frozen; the others go on.
  // Progress: ctl.done advances by the number of steps done; cancellation between steps.
  // Results are bitwise identical whatever the number of models trained together and threads.
  virtual Status step(int32_t nsteps, const Control& ctl) = 0;

  // Loss and accuracy on the training and test sets for every model.
  virtual Status evaluate(std::vector<EvalResult>& out) = 0;

  // Post-ReLU activations of hidden layer `layer` (0-based) on the training set with the current
  // parameters (a fresh forward pass), ntrain x width row-major, copied to host memory.
  virtual Status hidden(int32_t model, int32_t layer, float* out) = 0;

  // Parameters (layout above) of one model, host copies.
  virtual Status get_params(int32_t model, float* out) = 0;
  virtual Status set_params(int32_t model, const float* in) = 0;  // also resets nothing else

  // Resumable training state beyond the parameters (sweeps save it and continue a run bitwise):
  // the optimiser moments of one model in the parameter layout (zeros for SGD), the trainer's step
  // counter (also every live model's optimiser step) and a model's failure. Nothing else evolves
  // while training: no random numbers are drawn after initialisation.
  virtual Status get_moments(int32_t model, float* m, float* v) = 0;
  virtual Status set_moments(int32_t model, const float* m, const float* v) = 0;
  virtual Status set_steps_done(int64_t steps) = 0;
  virtual Status set_failed(int32_t model, const std::string& why) = 0;

  // Ablation mask on hidden layer 0: keep[j] == 0 zeroes row j of W_0 (every input kind) (and b_0[j] when mask_bias)
  // now and after every optimiser step, so the network never sees them. keep == nullptr clears it.
  virtual Status set_mask(int32_t model, const uint8_t* keep, bool mask_bias) = 0;

  // Measurement hook: a fresh forward pass with the current parameters of `models` on the training
  // set, whose post-ReLU activations of hidden layer `layer` are kept in an ActivationBatch
  // (models.size() x ntrain x width, float32) that lives where the backend computes: device memory
  // on CUDA (measure_checkpoints on the CUDA backend reads it there, no copy to the host), host
  // memory on the CPU. The batch is independent of the trainer: stepping may continue while it is
  // being measured on another thread.
  virtual Status snapshot_hidden(const std::vector<int32_t>& models, int32_t layer,
                                 std::shared_ptr<ActivationBatch>* out) = 0;

  // Test hook: the gradient (layout above) of the current mean loss over the whole training set
  // (also for a minibatch trainer) of one model, without stepping. Backends that do not implement it return INTERNAL.
  virtual Status gradients(int32_t model, float* out) {
    (void)model; (void)out;
    return Status::Error(Code::INTERNAL, "gradients(): not implemented by this backend");
  }
};

// Per-model parameter count for an architecture.
int64_t mlp_param_count(const ArchSpec& arch);

}  // namespace grokinfo
