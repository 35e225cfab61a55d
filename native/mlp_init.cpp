// Shared host-side initialisation and validation of the training engine (see mlp_init.h).
#include "mlp_init.h"

#include <cmath>
#include <utility>
#include <string>

namespace grokinfo {

int64_t mlp_param_count(const ArchSpec& arch) {
  int64_t n = 0;
  for (const ParamTensor& t : mlp_param_layout(arch)) n += t.size();
  return n;
}

std::vector<ParamTensor> mlp_param_layout(const ArchSpec& arch) {
  std::vector<ParamTensor> out;
  const int L = static_cast<int>(arch.hidden.size());
  int64_t off = 0;
  int64_t in = input_width(arch);
  for (int l = 0; l <= L; l++) {
    const int64_t o = l < L ? arch.hidden[l] : arch.out;
    out.push_back({l, false, off, o, in});
    off += o * in;
    const bool bias = l == 0 ? arch.bias_first : (l < L ? arch.bias_hidden : arch.bias_out);
    // With no hidden layer the first layer is the output layer; hidden.size() >= 1 is enforced.
    if (bias) {
      out.push_back({l, true, off, o, 1});
      off += o;
    }
    in = o;
  }
  return out;
}

static uint64_t splitmix64(uint64_t& x);

static Status bad(const std::string& m) { return Status::Error(Code::INVALID_ARGUMENT, m); }

Status validate_arch(const ArchSpec& arch) {
  if (arch.input == InputKind::PairOneHot) {
    if (arch.vocab < 2 || arch.vocab > 65536) return bad("arch.vocab must be an integer in [2, 65536]");
    if (arch.input_dim != 0) return bad("arch.inputDim must be 0 for pair inputs (layer 0 sees 2*vocab one-hot features)");
  } else if (arch.input == InputKind::Dense) {
    if (arch.input_dim < 1 || arch.input_dim > (1 << 20)) return bad("arch.inputDim must be an integer in [1, 1048576] for dense inputs");
    if (arch.vocab != 0) return bad("arch.vocab must be 0 for dense inputs");
  } else {
    return bad("arch.input must be 'pairs' or 'dense'");
  }
  if (arch.loss != Loss::CrossEntropy && arch.loss != Loss::MSE) return bad("arch.loss must be 'xent' or 'mse'");
  if (arch.batch_size < 0) return bad("batchSize must be an integer >= 0 (0 = full batch)");
  if (arch.out < 2 || arch.out > 65536) return bad("arch.out must be an integer in [2, 65536]");
  if (arch.hidden.empty() || arch.hidden.size() > static_cast<size_t>(kMaxLayers))
    return bad("arch.hidden must list 1 to " + std::to_string(kMaxLayers) + " hidden layer widths");
  for (size_t i = 0; i < arch.hidden.size(); i++)
    if (arch.hidden[i] < 1 || arch.hidden[i] > 65536)
      return bad("arch.hidden[" + std::to_string(i) + "] must be an integer in [1, 65536]");
  return Status::Ok();
}

static Status check_split(const char* name, const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                          const std::vector<int32_t>& y, const ArchSpec& arch, bool allow_empty) {
  const std::string n(name);
  if (a.size() != b.size() || a.size() != y.size())
    return bad(n + "A, " + n + "B and " + n + "Y must have the same length");
  if (!allow_empty && a.empty()) return bad(n + " set must not be empty");
  if (a.size() > (1u << 30)) return bad(n + " set too large");
  for (size_t i = 0; i < a.size(); i++) {
    if (a[i] < 0 || a[i] >= arch.vocab || b[i] < 0 || b[i] >= arch.vocab)
      return Status::Error(Code::INVALID_DATA, n + " row " + std::to_string(i) + ": token outside [0, vocab=" +
                                                   std::to_string(arch.vocab) + ")");
    if (y[i] < 0 || y[i] >= arch.out)
      return Status::Error(Code::INVALID_DATA, n + " row " + std::to_string(i) + ": label outside [0, out=" +
                                                   std::to_string(arch.out) + ")");
  }
  return Status::Ok();
}

static Status check_dense(const char* name, const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                          const std::vector<float>& x, const std::vector<int32_t>& y, const ArchSpec& arch,
                          bool allow_empty) {
  const std::string n(name);
  if (!a.empty() || !b.empty()) return bad(n + "A and " + n + "B must be empty for dense inputs (use " + n + "X)");
  if (!allow_empty && y.empty()) return bad(n + " set must not be empty");
  if (y.size() > (1u << 30)) return bad(n + " set too large");
  const size_t D = static_cast<size_t>(arch.input_dim);
  if (x.size() != y.size() * D)
    return bad(n + "X must hold " + n + "Y.length x inputDim = " + std::to_string(y.size()) + " x " + std::to_string(D) +
               " floats (got " + std::to_string(x.size()) + ")");
  for (size_t i = 0; i < y.size(); i++) {
    if (y[i] < 0 || y[i] >= arch.out)
      return Status::Error(Code::INVALID_DATA, n + " row " + std::to_string(i) + ": label outside [0, out=" +
                                                   std::to_string(arch.out) + ")");
    if (!all_finite(x.data() + i * D, static_cast<int64_t>(D)))
      return Status::Error(Code::INVALID_DATA, n + "X row " + std::to_string(i) + ": inputs must be finite (NaN or Inf found)");
  }
  return Status::Ok();
}

Status validate_task(const ArchSpec& arch, const TaskData& d) {
  Status s;
  if (arch.input == InputKind::Dense) {
    s = check_dense("train", d.train_a, d.train_b, d.train_x, d.train_y, arch, false);
    if (s.ok()) s = check_dense("test", d.test_a, d.test_b, d.test_x, d.test_y, arch, true);
  } else {
    if (!d.train_x.empty() || !d.test_x.empty()) return bad("trainX and testX must be empty for pair inputs");
    s = check_split("train", d.train_a, d.train_b, d.train_y, arch, false);
    if (s.ok()) s = check_split("test", d.test_a, d.test_b, d.test_y, arch, true);
  }
  if (!s.ok()) return s;
  if (arch.batch_size > static_cast<int64_t>(d.train_y.size()))
    return bad("batchSize must be at most the number of training samples (" + std::to_string(d.train_y.size()) +
               "; got " + std::to_string(arch.batch_size) + "); 0 = full batch");
  return Status::Ok();
}

void batch_permutation(uint64_t batch_seed, int64_t epoch, int64_t n, int32_t* out) {
  uint64_t x = batch_seed;
  Rng rng(splitmix64(x) ^ static_cast<uint64_t>(epoch));
  for (int64_t i = 0; i < n; i++) out[i] = static_cast<int32_t>(i);
  for (int64_t i = n - 1; i > 0; i--) {
    const int64_t j = static_cast<int64_t>(rng.uniform() * static_cast<double>(i + 1));
    std::swap(out[i], out[j]);
  }
}

Status validate_hyper(const ModelHyper& h, int32_t i) {
  const std::string m = "models[" + std::to_string(i) + "].";
  if (!(std::isfinite(h.lr) && h.lr > 0)) return bad(m + "lr must be a finite number > 0");
  if (!(std::isfinite(h.weight_decay) && h.weight_decay >= 0)) return bad(m + "weightDecay must be a finite number >= 0");
  if (!(h.beta1 >= 0 && h.beta1 < 1)) return bad(m + "beta1 must be in [0, 1)");
  if (!(h.beta2 >= 0 && h.beta2 < 1)) return bad(m + "beta2 must be in [0, 1)");
  if (!(std::isfinite(h.eps) && h.eps > 0)) return bad(m + "eps must be a finite number > 0");
  if (!(std::isfinite(h.alpha) && h.alpha > 0)) return bad(m + "alpha must be a finite number > 0");
  if (h.optimizer != Optimizer::AdamW && h.optimizer != Optimizer::Adam && h.optimizer != Optimizer::SGD)
    return bad(m + "optimizer must be one of 'adamw', 'adam', 'sgd'");
  return Status::Ok();
}

static uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double mlp_init_params(const ArchSpec& arch, const ModelHyper& h, float* out) {
  Rng rng(h.seed);
  const auto layout = mlp_param_layout(arch);
  for (const ParamTensor& t : layout) {
    const int64_t fan_in = t.bias ? layout[&t - layout.data() - 1].cols : t.cols;
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    const bool scaled = !t.bias || h.omnigrok_biases;
    for (int64_t i = 0; i < t.size(); i++) {
      const double w = (2.0 * rng.uniform() - 1.0) * bound;
      float f = h.initial.empty() ? static_cast<float>(w) : h.initial[t.offset + i];
      if (scaled && h.alpha != 1.0) f = static_cast<float>(static_cast<double>(f) * h.alpha);
      out[t.offset + i] = f;
    }
  }
  const double target = mlp_weight_norm(arch, out, h.omnigrok_biases);
  if (h.zero_output) {
    const ParamTensor* w_out = nullptr;
    for (const ParamTensor& t : layout)
      if (!t.bias) w_out = &t;
    for (int64_t i = 0; i < w_out->size(); i++) out[w_out->offset + i] = 0.0f;
  }
  return target;
}

double mlp_weight_norm(const std::vector<ParamTensor>& layout, const float* p, bool include_biases) {
  double s = 0;
  for (const ParamTensor& t : layout) {
    if (t.bias && !include_biases) continue;
    for (int64_t i = 0; i < t.size(); i++) s += static_cast<double>(p[t.offset + i]) * p[t.offset + i];
  }
  return std::sqrt(s);
}

double mlp_weight_norm(const ArchSpec& arch, const float* p, bool include_biases) {
  return mlp_weight_norm(mlp_param_layout(arch), p, include_biases);
}

void mlp_scale_weights(const std::vector<ParamTensor>& layout, float* p, bool include_biases, float factor) {
  for (const ParamTensor& t : layout) {
    if (t.bias && !include_biases) continue;
    for (int64_t i = 0; i < t.size(); i++) p[t.offset + i] *= factor;
  }
}

void mlp_scale_weights(const ArchSpec& arch, float* p, bool include_biases, float factor) {
  mlp_scale_weights(mlp_param_layout(arch), p, include_biases, factor);
}

bool all_finite(const float* x, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; i++) acc += x[i] * 0.0f;  // NaN/Inf propagate, finite values give 0
  return acc == 0.0f;
}

}  // namespace grokinfo
