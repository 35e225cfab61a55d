// CPU training engine: many MLPs of one shape, full batch or minibatches (mlp.h). One step of one model:
//   batch     full batch: the training split as stored; minibatch: the batch's samples gathered into
//             the workspace (gather_cols / index copies) in the order of the model's permutation
//   forward   H0 = ReLU(W0[:, a] + W0[:, p+b] + b0)            gather_relu   (pair inputs: no one-hot)
//             H0 = ReLU(W0 X + b0)                              gemm_panels   (dense inputs)
//             Hl = ReLU(Wl H(l-1) + bl)                          gemm_panels   (hidden layers)
//             logits = WL H(L-1) (+ bL)                           gemm_panels
//   loss      softmax cross-entropy, dlogits = (softmax - onehot) / N       softmax_xent
//             or MSE on one-hot targets, dlogits = 2 (z - onehot) / (N C)   mse_onehot
//   backward  dWl = dZl H(l-1)^T, dbl = sum dZl                  gemm_dot, row_sums
//             dZ(l-1) = (Wl^T dZl) * (H(l-1) > 0)                gemm_masked (in place over H(l-1))
//             dW0[:, a] += dZ0, dW0[:, p+b] += dZ0, db0          scatter_rows  (pairs)
//             dW0 = dZ0 X^T, db0 = sum dZ0                        gemm_dot, row_sums (dense)
//   update    AdamW / Adam / SGD, ablation mask, constant-norm rescale, finiteness check.
// Activations live in the sample-panel layout of gemm.h. Evaluation runs the training set in one pass
// and the test set in chunks of the workspace's panels (a test set may be much larger). Parallelism (OpenMP): across models when
// there are at least as many models as threads (each model then runs single-threaded), otherwise
// within the model (panels / row tiles split over threads). Every kernel computes each output element
// in an order that does not depend on the split, so results are bitwise identical either way.
#include <atomic>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include "adamw.h"
#include "gemm.h"
#include "mlp_init.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace grokinfo {

namespace {

using gemm::kPanel;


// 64-byte aligned storage for the kernels' buffers (unaligned 32-byte rows split cache lines).
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t n) {
    void* p = ::operator new(n * sizeof(T), std::align_val_t(64));
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <class U>
  bool operator==(const Aligned64<U>&) const { return true; }
};
using FloatBuf = std::vector<float, Aligned64<float>>;

// Most panels of a test-set chunk beyond what the training set needs (workspace panels =
// max(training panels, min(test panels, kEvalPanels))).
constexpr int64_t kEvalPanels = 64;

struct Split {
  int64_t n = 0, P = 0;
  std::vector<int32_t> ia, ib, y;  // padded to P*16: column a, column vocab+b (pairs only), label
  FloatBuf x;                      // dense only: S16, input_dim rows, zero padded
};

Split make_split(const ArchSpec& arch, const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                 const std::vector<int32_t>& y, const std::vector<float>& x) {
  Split s;
  s.n = static_cast<int64_t>(y.size());
  s.P = gemm::panels(s.n);
  s.y.assign(s.P * kPanel, 0);
  for (int64_t i = 0; i < s.n; i++) s.y[i] = y[i];
  if (arch.input == InputKind::Dense) {
    const int64_t D = arch.input_dim;
    s.x.assign(s.P * kPanel * D, 0.0f);
    for (int64_t n = 0; n < s.n; n++) {
      float* o = s.x.data() + (n / kPanel) * D * kPanel + n % kPanel;
      for (int64_t r = 0; r < D; r++) o[r * kPanel] = x[n * D + r];
    }
  } else {
    s.ia.assign(s.P * kPanel, 0);
    s.ib.assign(s.P * kPanel, arch.vocab);
    for (int64_t i = 0; i < s.n; i++) {
      s.ia[i] = a[i];
      s.ib[i] = arch.vocab + b[i];
    }
  }
  return s;
}

// Samples of one forward pass: whole panels of a split or a gathered minibatch (always mapped onto
// the workspace's panels from 0).
struct View {
  int64_t n = 0, P = 0;
  const int32_t* ia = nullptr;
  const int32_t* ib = nullptr;
  const int32_t* y = nullptr;
  const float* x = nullptr;
};

// Panels [p0, p1) of a split (D = input rows of its dense data).
View view_of(const Split& s, int64_t p0, int64_t p1, int64_t D) {
  View v;
  v.P = p1 - p0;
  v.n = std::min(s.n, p1 * kPanel) - p0 * kPanel;
  v.y = s.y.data() + p0 * kPanel;
  if (!s.ia.empty()) {
    v.ia = s.ia.data() + p0 * kPanel;
    v.ib = s.ib.data() + p0 * kPanel;
  }
  if (!s.x.empty()) v.x = s.x.data() + p0 * D * kPanel;
  return v;
}

struct ModelState {
  ModelHyper h;
  std::vector<float> params, m, v;
  double target_norm = 0;
  bool failed = false;
  std::string failure;
  int64_t t = 0;  // optimiser steps taken
  std::vector<int32_t> perm;  // minibatch sampler: the order of epoch perm_epoch (empty in full batch)
  int64_t perm_epoch = -1;
  std::vector<uint8_t> keep;
  bool mask_bias = false;
  // The training-loss gradient of the current parameters, computed by evaluate() from the forward pass
  // it runs anyway; the next step uses it instead of repeating that forward and backward pass (same
  // parameters, same kernels: bitwise the same gradient). Valid while grad_step == the trainer's steps.
  FloatBuf grad;
  int64_t grad_step = -1;
};

// Scratch of one forward/backward pass, sized for the larger split.
struct Workspace {
  std::vector<FloatBuf> act;            // per hidden layer, S16
  FloatBuf logits;                      // S16, out rows
  std::vector<FloatBuf> packed;         // per layer: packed A (W or W^T); layer 0 only for dense inputs
  FloatBuf grad;
  FloatBuf w0t;                         // pairs: W0 transposed (2*vocab x padded8(hidden[0]))
  FloatBuf dw0t;                        // its gradient, same layout
  FloatBuf bx;                          // minibatch: dense inputs of the batch (S16)
  std::vector<int32_t> bia, bib, by;    // minibatch: pair columns and labels of the batch
  std::vector<double> loss;
  std::vector<uint8_t> correct;
};

// Flushes denormal floats to zero (MXCSR FTZ + DAZ) on this thread for its lifetime, then restores the
// previous mode. Masked (ablation) and high-weight-decay models drive biases and activations through the
// denormal range, where x86 FMAs take microcode assists: measured on an Intel Xeon, a masked weight
// decay 2 model fell from ~150 to 5 model-steps/s after ~1000 steps. Values below 1.2e-38 are noise for
// this training; every thread sets the same mode, so results stay identical for any thread count.
struct FlushDenormals {
#if defined(__x86_64__) || defined(__i386__)
  unsigned saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040u); }
  ~FlushDenormals() { _mm_setcsr(saved); }
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

// Runs f(begin, end) over [0, n): split statically over the threads of a parallel region when par.
template <class F>
void run_range(int64_t n, bool par, F&& f) {
  if (!par || n < 2) {
    FlushDenormals fd;
    f(int64_t(0), n);
    return;
  }
#pragma omp parallel
  {
    FlushDenormals fd;
    const int64_t T = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t b = n * t / T, e = n * (t + 1) / T;
    if (b < e) f(b, e);
  }
}

class CpuTrainer final : public Trainer {
 public:
  CpuTrainer(const ArchSpec& arch, const TaskData& data, const std::vector<ModelHyper>& hyper)
      : arch_(arch), layout_(mlp_param_layout(arch)), L_(static_cast<int>(arch.hidden.size())) {
    dense_ = arch.input == InputKind::Dense;
    in0_ = input_width(arch);
    train_ = make_split(arch, data.train_a, data.train_b, data.train_y, data.train_x);
    test_ = make_split(arch, data.test_a, data.test_b, data.test_y, data.test_x);
    full_batch_ = arch.batch_size == 0 || arch.batch_size >= train_.n;
    pcap_ = std::max(train_.P, std::min(test_.P, kEvalPanels));
    nparams_ = mlp_param_count(arch);
    for (int l = 0; l <= L_; l++) {
      w_off_.push_back(-1);
      b_off_.push_back(-1);
    }
    for (const ParamTensor& t : layout_) (t.bias ? b_off_ : w_off_)[t.layer] = t.offset;
    models_.resize(hyper.size());
    for (size_t i = 0; i < hyper.size(); i++) {
      ModelState& s = models_[i];
      s.h = hyper[i];
      s.params.resize(nparams_);
      s.target_norm = mlp_init_params(arch_, s.h, s.params.data());
      if (s.h.optimizer != Optimizer::SGD) {
        s.m.assign(nparams_, 0.0f);
        s.v.assign(nparams_, 0.0f);
      }
      if (!full_batch_) s.perm.resize(train_.n);
    }
    threads_ = std::max(1, omp_get_max_threads());
    ws_.resize(threads_);
  }

  int32_t models() const override { return static_cast<int32_t>(models_.size()); }
  int64_t param_count() const override { return nparams_; }
  int64_t steps_done() const override { return steps_; }

  Status step(int32_t nsteps, const Control& ctl) override {
    if (nsteps < 0) return Status::Error(Code::INVALID_ARGUMENT, "steps must be >= 0");
    ctl.set_total(nsteps);
    for (int32_t s = 0; s < nsteps; s++) {
      if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "training cancelled after " + std::to_string(s) + " steps");
      for_models([&](int64_t i, Workspace& ws, bool par) { step_model(models_[i], ws, par); });
      steps_++;
      ctl.add_done(1);
    }
    return Status::Ok();
  }

  Status evaluate(std::vector<EvalResult>& out) override {
    out.assign(models_.size(), EvalResult());
    for_models([&](int64_t i, Workspace& ws, bool par) {
      ModelState& s = models_[i];
      EvalResult& r = out[i];
      const float* p = s.params.data();
      // Full batch: the training forward pass with the loss gradient (the loss is the same either
      // way): its backward pass is the next step's, kept in s.grad.
      const bool keep_grad = full_batch_ && !s.failed;
      forward(p, train_view(), ws, par, L_ + 1, keep_grad, 1.0f / static_cast<float>(train_.n));
      r.train_loss = mean_loss(ws, train_.n, &r.train_acc);
      // finite parameters can still overflow the logits: such a model fails here, not one step later
      if (!s.failed && !std::isfinite(r.train_loss)) {
        s.failed = true;
        s.failure = "non-finite training loss at step " + std::to_string(steps_);
      }
      if (keep_grad && !s.failed) {
        backward(p, train_view(), ws, par);
        s.grad.resize(nparams_);
        std::memcpy(s.grad.data(), ws.grad.data(), sizeof(float) * nparams_);
        s.grad_step = steps_;
      }
      if (test_.n > 0) {
        // in chunks of the workspace's panels, the losses summed in sample order
        pack_forward(p, ws, L_ + 1);
        double sum = 0;
        int64_t correct = 0;
        for (int64_t j0 = 0; j0 < test_.P; j0 += pcap_) {
          const View v = view_of(test_, j0, std::min(test_.P, j0 + pcap_), in0_);
          forward_view(p, v, ws, par, L_ + 1, false, 1.0f);
          for (int64_t i = 0; i < v.n; i++) {
            sum += ws.loss[i];
            correct += ws.correct[i];
          }
        }
        r.test_loss = sum / static_cast<double>(test_.n);
        r.test_acc = static_cast<double>(correct) / static_cast<double>(test_.n);
      } else {
        r.test_loss = r.test_acc = std::nan("");
      }
      r.weight_norm = mlp_weight_norm(layout_, p, false);
      r.failed = s.failed;
      r.failure = s.failure;
    });
    return Status::Ok();
  }

  Status hidden(int32_t model, int32_t layer, float* out) override {
    Status st = check_model_layer(model, layer);
    if (!st.ok()) return st;
    FlushDenormals fd;
    Workspace& ws = ws_[0];
    forward(models_[model].params.data(), train_view(), ws, threads_ > 1, layer + 1, false, 1.0f);
    gemm::unpanel(ws.act[layer].data(), arch_.hidden[layer], train_.n, out);
    return Status::Ok();
  }

  Status get_params(int32_t model, float* out) override {
    if (model < 0 || model >= models()) return bad_model(model);
    std::memcpy(out, models_[model].params.data(), sizeof(float) * nparams_);
    return Status::Ok();
  }

  Status set_params(int32_t model, const float* in) override {
    if (model < 0 || model >= models()) return bad_model(model);
    if (!all_finite(in, nparams_)) return Status::Error(Code::INVALID_DATA, "setParams: parameters must be finite");
    std::memcpy(models_[model].params.data(), in, sizeof(float) * nparams_);
    models_[model].grad_step = -1;
    apply_mask(models_[model]);
    return Status::Ok();
  }

  Status get_moments(int32_t model, float* m, float* v) override {
    if (model < 0 || model >= models()) return bad_model(model);
    const ModelState& s = models_[model];
    if (s.m.empty()) {
      std::fill(m, m + nparams_, 0.0f);
      std::fill(v, v + nparams_, 0.0f);
    } else {
      std::memcpy(m, s.m.data(), sizeof(float) * nparams_);
      std::memcpy(v, s.v.data(), sizeof(float) * nparams_);
    }
    return Status::Ok();
  }

  Status set_moments(int32_t model, const float* m, const float* v) override {
    if (model < 0 || model >= models()) return bad_model(model);
    ModelState& s = models_[model];
    if (s.m.empty()) return Status::Ok();
    std::memcpy(s.m.data(), m, sizeof(float) * nparams_);
    std::memcpy(s.v.data(), v, sizeof(float) * nparams_);
    return Status::Ok();
  }

  Status set_steps_done(int64_t steps) override {
    if (steps < 0) return Status::Error(Code::INVALID_ARGUMENT, "steps done must be >= 0");
    steps_ = steps;
    for (ModelState& s : models_)
      if (!s.failed) s.t = steps;
    return Status::Ok();
  }

  Status set_failed(int32_t model, const std::string& why) override {
    if (model < 0 || model >= models()) return bad_model(model);
    models_[model].failed = true;
    models_[model].failure = why;
    return Status::Ok();
  }

  Status set_mask(int32_t model, const uint8_t* keep, bool mask_bias) override {
    if (model < 0 || model >= models()) return bad_model(model);
    ModelState& s = models_[model];
    s.grad_step = -1;
    if (!keep) {
      s.keep.clear();
      s.mask_bias = false;
      return Status::Ok();
    }
    s.keep.assign(keep, keep + arch_.hidden[0]);
    s.mask_bias = mask_bias;
    apply_mask(s);
    return Status::Ok();
  }

  Status snapshot_hidden(const std::vector<int32_t>& models, int32_t layer,
                         std::shared_ptr<ActivationBatch>* out) override {
    for (int32_t m : models) {
      Status st = check_model_layer(m, layer);
      if (!st.ok()) return st;
    }
    // A batch of the pool that nobody else holds any more (its measurement finished), else a new one
    // (kept in the pool while it has room): once warm, a snapshot per checkpoint allocates nothing.
    std::shared_ptr<HostBatch> b;
    for (auto& p : snapshots_)
      if (p.use_count() == 1) {
        std::atomic_thread_fence(std::memory_order_acquire);  // the last reader's accesses happen before ours
        b = p;
        break;
      }
    if (!b) {
      b = std::make_shared<HostBatch>();
      if (snapshots_.size() < kSnapshotPool) snapshots_.push_back(b);
    }
    b->backend = Backend::CPU;
    b->batch = static_cast<int64_t>(models.size());
    b->rows = train_.n;
    b->width = arch_.hidden[layer];
    if (b->buf.size() < static_cast<size_t>(b->batch * b->rows * b->width))
      b->buf.resize(static_cast<size_t>(b->batch * b->rows * b->width));
    b->data = b->buf.data();
    const int64_t per = b->rows * b->width;
    // Models over threads when there are enough of them, else one at a time with the threads inside
    // (as for_models; no parallel region with an if clause or nested in another: libgomp allocates
    // a team for those on every call).
    auto one = [&](int64_t i, Workspace& ws, bool par) {
      forward(models_[models[i]].params.data(), train_view(), ws, par, layer + 1, false, 1.0f);
      gemm::unpanel(ws.act[layer].data(), b->width, train_.n, b->data + i * per);
    };
    if (b->batch >= threads_ && threads_ > 1) {
#pragma omp parallel for schedule(dynamic, 1)
      for (int64_t i = 0; i < b->batch; i++) {
        FlushDenormals fd;
        one(i, ws_[omp_get_thread_num()], false);
      }
    } else {
      FlushDenormals fd;
      for (int64_t i = 0; i < b->batch; i++) one(i, ws_[0], threads_ > 1);
    }
    *out = b;
    return Status::Ok();
  }

  Status gradients(int32_t model, float* out) override {
    if (model < 0 || model >= models()) return bad_model(model);
    FlushDenormals fd;
    Workspace& ws = ws_[0];
    forward(models_[model].params.data(), train_view(), ws, threads_ > 1, L_ + 1, true, 1.0f / static_cast<float>(train_.n));
    backward(models_[model].params.data(), train_view(), ws, threads_ > 1);
    std::memcpy(out, ws.grad.data(), sizeof(float) * nparams_);
    return Status::Ok();
  }

 private:
  static Status bad_model(int32_t m) {
    return Status::Error(Code::INVALID_ARGUMENT, "model index " + std::to_string(m) + " out of range");
  }
  Status check_model_layer(int32_t model, int32_t layer) const {
    if (model < 0 || model >= models()) return bad_model(model);
    if (layer < 0 || layer >= L_)
      return Status::Error(Code::INVALID_ARGUMENT, "layer must be in [0, " + std::to_string(L_ - 1) + "]");
    return Status::Ok();
  }

  // Calls f(model, workspace, parallel_inside) for every model: models over threads when there are
  // enough of them, else one model at a time with the threads inside.
  template <class F>
  void for_models(F&& f) {
    const int64_t M = static_cast<int64_t>(models_.size());
    if (M >= threads_ && threads_ > 1) {
#pragma omp parallel for schedule(dynamic, 1)
      for (int64_t i = 0; i < M; i++) {
        FlushDenormals fd;
        f(i, ws_[omp_get_thread_num()], false);
      }
    } else {
      FlushDenormals fd;
      for (int64_t i = 0; i < M; i++) f(i, ws_[0], threads_ > 1);
    }
  }

  View train_view() const { return view_of(train_, 0, train_.P, in0_); }

  void ensure(Workspace& ws) {
    if (!ws.logits.empty()) return;
    const int64_t P = pcap_;
    ws.act.resize(L_);
    for (int l = 0; l < L_; l++) ws.act[l].assign(P * kPanel * arch_.hidden[l], 0.0f);
    ws.logits.assign(P * kPanel * arch_.out, 0.0f);
    ws.packed.resize(L_ + 1);
    for (int l = 1; l <= L_; l++) {
      const int64_t o = l < L_ ? arch_.hidden[l] : arch_.out, in = arch_.hidden[l - 1];
      ws.packed[l].resize(std::max(gemm::packed_a_floats(o, in), gemm::packed_a_floats(in, o)));
    }
    ws.grad.resize(nparams_);
    if (dense_) {
      ws.packed[0].resize(gemm::packed_a_floats(arch_.hidden[0], in0_));
    } else {
      ws.w0t.resize(in0_ * gemm::padded8(arch_.hidden[0]));
      ws.dw0t.resize(ws.w0t.size());
    }
    if (!full_batch_) {
      const int64_t Pb = gemm::panels(arch_.batch_size);
      if (dense_) ws.bx.assign(Pb * kPanel * in0_, 0.0f);
      else {
        ws.bia.assign(Pb * kPanel, 0);
        ws.bib.assign(Pb * kPanel, arch_.vocab);
      }
      ws.by.assign(Pb * kPanel, 0);
    }
    ws.loss.resize(P * kPanel);
    ws.correct.resize(P * kPanel);
  }

  int64_t width(int l) const { return l < L_ ? arch_.hidden[l] : arch_.out; }

  // Packs the weight matrices of layers [0, upto) for forward_view (backward overwrites them).
  void pack_forward(const float* p, Workspace& ws, int upto) {
    ensure(ws);
    if (dense_) {
      gemm::pack_a(p + w_off_[0], in0_, 1, arch_.hidden[0], in0_, ws.packed[0].data());
    } else {
      const int64_t ldt = gemm::padded8(arch_.hidden[0]);
      gemm::transpose_pad(p + w_off_[0], arch_.hidden[0], in0_, in0_, ws.w0t.data(), ldt);
    }
    for (int l = 1; l < upto && l <= L_; l++) {
      const int64_t o = width(l), in = arch_.hidden[l - 1];
      gemm::pack_a(p + w_off_[l], in, 1, o, in, ws.packed[l].data());
    }
  }

  // Forward of layers [0, upto) (upto = L+1: through the output and the loss, whose gradient, when
  // grad, is scaled by `scale` = 1/batch) of the samples of v, weights packed by pack_forward.
  void forward_view(const float* p, const View& v, Workspace& ws, bool par, int upto, bool grad, float scale) {
    const float* b0 = b_off_[0] >= 0 ? p + b_off_[0] : nullptr;
    if (dense_) {
      run_range(v.P, par, [&](int64_t j0, int64_t j1) {
        gemm::gemm_panels(ws.packed[0].data(), arch_.hidden[0], in0_, v.x, b0, true, ws.act[0].data(), j0, j1);
      });
    } else {
      const int64_t ldt = gemm::padded8(arch_.hidden[0]);
      run_range(v.P, par, [&](int64_t j0, int64_t j1) {
        gemm::gather_relu(ws.w0t.data(), ldt, b0, arch_.hidden[0], v.ia, v.ib, ws.act[0].data(), j0, j1);
      });
    }
    for (int l = 1; l < upto && l <= L_; l++) {
      const int64_t o = width(l), in = arch_.hidden[l - 1];
      float* C = l < L_ ? ws.act[l].data() : ws.logits.data();
      const float* bias = b_off_[l] >= 0 ? p + b_off_[l] : nullptr;
      run_range(v.P, par, [&](int64_t j0, int64_t j1) {
        gemm::gemm_panels(ws.packed[l].data(), o, in, ws.act[l - 1].data(), bias, l < L_, C, j0, j1);
      });
    }
    if (upto > L_) {
      run_range(v.P, par, [&](int64_t j0, int64_t j1) {
        if (arch_.loss == Loss::MSE)
          gemm::mse_onehot(ws.logits.data(), arch_.out, v.y, v.n, grad, scale, ws.loss.data(), ws.correct.data(), j0, j1);
        else
          gemm::softmax_xent(ws.logits.data(), arch_.out, v.y, v.n, grad, scale, ws.loss.data(), ws.correct.data(), j0, j1);
      });
    }
  }

  void forward(const float* p, const View& v, Workspace& ws, bool par, int upto, bool grad, float scale) {
    pack_forward(p, ws, upto);
    forward_view(p, v, ws, par, upto, grad, scale);
  }

  // The samples of the minibatch of the current step for model s, gathered into ws (mlp.h: epoch
  // steps_ / nb of s's permutation, batch steps_ % nb).
  View batch_view(ModelState& s, Workspace& ws) {
    ensure(ws);
    const int64_t n = train_.n, B = arch_.batch_size, nb = (n + B - 1) / B;
    const int64_t epoch = steps_ / nb, k = steps_ % nb;
    if (s.perm_epoch != epoch) {
      batch_permutation(s.h.batch_seed, epoch, n, s.perm.data());
      s.perm_epoch = epoch;
    }
    const int32_t* idx = s.perm.data() + k * B;
    View v;
    v.n = std::min(B, n - k * B);
    v.P = gemm::panels(v.n);
    const int64_t padded = v.P * kPanel;
    for (int64_t i = 0; i < padded; i++) ws.by[i] = i < v.n ? train_.y[idx[i]] : 0;
    v.y = ws.by.data();
    if (dense_) {
      gemm::gather_cols(train_.x.data(), in0_, idx, v.n, ws.bx.data());
      v.x = ws.bx.data();
    } else {
      for (int64_t i = 0; i < padded; i++) {
        ws.bia[i] = i < v.n ? train_.ia[idx[i]] : 0;
        ws.bib[i] = i < v.n ? train_.ib[idx[i]] : arch_.vocab;
      }
      v.ia = ws.bia.data();
      v.ib = ws.bib.data();
    }
    return v;
  }

  double mean_loss(const Workspace& ws, int64_t n, double* acc) const {
    double s = 0;
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) {
      s += ws.loss[i];
      c += ws.correct[i];
    }
    if (acc) *acc = static_cast<double>(c) / static_cast<double>(n);
    return s / static_cast<double>(n);
  }

  // Gradient of the mean loss over v into ws.grad; needs forward(v, ..., grad = true) just before.
  void backward(const float* p, const View& v, Workspace& ws, bool par) {
    const int64_t P = v.P;
    float* g = ws.grad.data();
    for (int l = L_; l >= 1; l--) {
      const int64_t o = width(l), in = arch_.hidden[l - 1];
      const float* dZ = l == L_ ? ws.logits.data() : ws.act[l].data();
      float* H = ws.act[l - 1].data();
      run_range(gemm::dot_tiles(o), par, [&](int64_t t0, int64_t t1) {
        gemm::gemm_dot(dZ, o, H, in, P, g + w_off_[l], t0, t1);
      });
      if (b_off_[l] >= 0)
        run_range(o, par, [&](int64_t r0, int64_t r1) { gemm::row_sums(dZ, o, P, g + b_off_[l], r0, r1); });
      gemm::pack_a(p + w_off_[l], 1, in, in, o, ws.packed[l].data());  // A = W^T: in x o
      run_range(gemm::row_tiles(in), par, [&](int64_t t0, int64_t t1) {
        gemm::gemm_masked(ws.packed[l].data(), in, o, dZ, H, H, P, t0, t1);
      });
    }
    const int64_t h0 = arch_.hidden[0];
    float* db0 = b_off_[0] >= 0 ? g + b_off_[0] : nullptr;
    if (dense_) {
      run_range(gemm::dot_tiles(h0), par, [&](int64_t t0, int64_t t1) {
        gemm::gemm_dot(ws.act[0].data(), h0, v.x, in0_, P, g + w_off_[0], t0, t1);
      });
      if (db0) run_range(h0, par, [&](int64_t r0, int64_t r1) { gemm::row_sums(ws.act[0].data(), h0, P, db0, r0, r1); });
      return;
    }
    const int64_t ld = in0_, ldt = gemm::padded8(h0);
    run_range(ldt / 8, par, [&](int64_t kb0, int64_t kb1) {
      gemm::scatter_rows(ws.act[0].data(), h0, v.n, v.ia, v.ib, ld, ws.dw0t.data(), ldt, db0, kb0, kb1);
    });
    run_range(ld, par, [&](int64_t c0, int64_t c1) {
      gemm::untranspose(ws.dw0t.data(), ldt, arch_.hidden[0], g + w_off_[0], ld, c0, c1);
    });
  }

  void apply_mask(ModelState& s) {
    if (s.keep.empty()) return;
    const int64_t ld = in0_;
    float* W0 = s.params.data() + w_off_[0];
    for (int64_t j = 0; j < arch_.hidden[0]; j++) {
      if (s.keep[j]) continue;
      std::fill(W0 + j * ld, W0 + (j + 1) * ld, 0.0f);
      if (s.mask_bias && b_off_[0] >= 0) s.params[b_off_[0] + j] = 0.0f;
    }
  }

  void fail(ModelState& s, const std::string& why) {
    s.failed = true;
    s.failure = why + " at step " + std::to_string(steps_ + 1);
  }

  void step_model(ModelState& s, Workspace& ws, bool par) {
    if (s.failed) return;
    float* p = s.params.data();
    const float* g;
    if (s.grad_step == steps_) {
      g = s.grad.data();  // evaluate() ran this forward and backward pass (its loss was finite)
    } else {
      const View v = full_batch_ ? train_view() : batch_view(s, ws);
      forward(p, v, ws, par, L_ + 1, true, 1.0f / static_cast<float>(v.n));
      const double loss = mean_loss(ws, v.n, nullptr);
      if (!std::isfinite(loss)) {
        fail(s, full_batch_ ? "non-finite training loss" : "non-finite minibatch loss");
        return;
      }
      backward(p, v, ws, par);
      g = ws.grad.data();  // (sized by the forward pass's ensure)
    }
    s.grad_step = -1;
    s.t++;
    const OptimStep os = optim_step(s.h, s.t);
    optim_update(os, p, s.m.data(), s.v.data(), g, nparams_);
    apply_mask(s);
    if (s.h.constant_norm) {
      const double norm = mlp_weight_norm(layout_, p, s.h.omnigrok_biases);
      const double f = s.target_norm / norm;
      if (std::isfinite(f)) mlp_scale_weights(layout_, p, s.h.omnigrok_biases, static_cast<float>(f));
      else fail(s, "constant-norm rescale by a non-finite factor");
    }
    if (!s.failed && !all_finite(p, nparams_)) fail(s, "non-finite parameters");
  }

  ArchSpec arch_;
  std::vector<ParamTensor> layout_;
  int L_;
  Split train_, test_;
  bool dense_ = false, full_batch_ = true;
  int64_t in0_ = 0;   // features of layer 0
  int64_t pcap_ = 0;  // workspace panels
  int64_t nparams_ = 0;
  std::vector<int64_t> w_off_, b_off_;
  std::vector<ModelState> models_;
  int threads_ = 1;
  std::vector<Workspace> ws_;
  // snapshot_hidden's batches (host memory, buffers only grow), reused once their measurement let go.
  struct HostBatch : ActivationBatch {
    std::vector<float> buf;
  };
  static constexpr size_t kSnapshotPool = 4;
  std::vector<std::shared_ptr<HostBatch>> snapshots_;
  int64_t steps_ = 0;
};

}  // namespace

Status trainer_create_cpu(const ArchSpec& arch, const TaskData& data, const std::vector<ModelHyper>& models,
                          std::unique_ptr<Trainer>* out) {
  try {
    *out = std::make_unique<CpuTrainer>(arch, data, models);
  } catch (const std::bad_alloc&) {
    return Status::Error(Code::INVALID_ARGUMENT, "not enough memory for " + std::to_string(models.size()) + " models");
  }
  return Status::Ok();
}

}  // namespace grokinfo
