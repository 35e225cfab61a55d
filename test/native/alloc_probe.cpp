// Allocation and page-fault probe of the CPU engines (built with GROKINFO_ALLOC_PROBE, run by
// test/alloc.test.ts). Every heap allocation of the process (malloc and friends, which operator new,
// libgomp and the C library all use) is counted by interposing the allocator in this executable; page
// faults come from getrusage. For each engine call it warms up (twice), then counts over three calls
// of the same size and prints one JSON object: {"<case>": {"allocs": n, "faults": n}, ...}. The
// "control" case runs the free function measure_checkpoints (a temporary engine per call) in the same
// way: it must allocate, which shows that the counter counts.
#include <malloc.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mlp.h"
#include "oinfo.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

static std::atomic<uint64_t> g_allocs{0};

extern "C" {
void* malloc(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* memalign(size_t al, size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(al, n);
}
void* aligned_alloc(size_t al, size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(al, n);
}
int posix_memalign(void** out, size_t al, size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  void* p = __libc_memalign(al, n);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}

namespace {

using namespace grokinfo;

long faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt + u.ru_majflt;
}

struct Count {
  uint64_t allocs;
  long faults;
};

template <class F>
Count measure(F&& f) {
  for (int i = 0; i < 2; ++i)
    if (!f()) std::exit(3);
  const uint64_t a0 = g_allocs.load();
  const long f0 = faults();
  for (int i = 0; i < 3; ++i)
    if (!f()) std::exit(3);
  return {g_allocs.load() - a0, faults() - f0};
}

uint64_t lcg(uint64_t& s) {
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return s >> 11;
}
double unit(uint64_t& s) { return (static_cast<double>(lcg(s)) + 0.5) / 9007199254740992.0; }

// ReLU-like activations with a few shared factors (some columns dead).
std::vector<float> relu_data(int64_t N, int64_t H, uint64_t seed) {
  std::vector<float> z(static_cast<size_t>(N * H));
  for (int64_t t = 0; t < N; ++t) {
    double f[3] = {unit(seed) - 0.5, unit(seed) - 0.5, unit(seed) - 0.5};
    for (int64_t h = 0; h < H; ++h) {
      double v = (h % 9 == 4) ? -1.0 : f[h % 3] + 0.6 * (unit(seed) - 0.5) - 0.1;
      z[t * H + h] = static_cast<float>(v > 0 ? v : 0.0);
    }
  }
  return z;
}

bool ok(const Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "%s: %s\n", what, s.message.c_str());
  return s.ok();
}

}  // namespace

int main() {
  std::string out = "{";
  auto put = [&](const char* name, Count c) {
    if (out.size() > 1) out += ",";
    out += "\"" + std::string(name) + "\":{\"allocs\":" + std::to_string(c.allocs) + ",\"faults\":" + std::to_string(c.faults) + "}";
  };
  const int64_t N = 900, H = 48;
  std::vector<float> Z = relu_data(N, 2 * H, 7);  // two checkpoints of N x H
  std::vector<double> Zd(Z.begin(), Z.begin() + N * H);
  MeasureOptions mo;
  mo.bins = 6;
  mo.threads = 2;
  mo.top_k = 4;
  mo.bias_samples = N;

  OInfoEngine engine(Backend::CPU);
  std::vector<MeasureResult> res;
  put("measure", measure([&] { return ok(engine.measure(Z.data(), 2, N, H, mo, res), "measure"); }));

  BinsOptions bo;
  bo.m = mo;
  bo.max_size = 4;
  bo.check_samples = true;
  std::vector<MeasureResult> res2;
  put("measure_bins_f64", measure([&] { return ok(engine.measure_bins(Zd.data(), 1, N, H, bo, res2), "measure_bins"); }));

  // Variables mode over a copula covariance of 12 columns.
  const int64_t D = 12;
  std::vector<double> X(static_cast<size_t>(N * D));
  uint64_t s = 11;
  for (auto& x : X) x = unit(s);
  std::vector<double> cov(static_cast<size_t>(D * D));
  if (!ok(copula_covariance(X.data(), N, D, TiePolicy::Average, 0, cov.data()), "copula")) return 3;
  Units un;
  un.count = static_cast<int32_t>(D);
  for (int32_t i = 0; i <= D; ++i) un.offsets.push_back(i);
  for (int32_t i = 0; i < D; ++i) un.members.push_back(i);
  OInfoOptions oo;
  oo.max_size = 4;
  oo.top_k = 10;
  oo.threads = 2;
  std::vector<OInfoResult> r3;
  put("multiplets", measure([&] { return ok(engine.multiplets(cov.data(), 1, D, un, oo, r3), "multiplets"); }));

  // The CPU trainer: steps and evaluations (each evaluation's pass reused by the next step).
  ArchSpec arch;
  arch.input = InputKind::PairOneHot;
  arch.input_dim = 0;
  arch.loss = Loss::CrossEntropy;
  arch.batch_size = 0;
  arch.vocab = 11;
  arch.hidden = {24};
  arch.out = 11;
  arch.bias_first = true;
  TaskData data;
  for (int32_t a = 0; a < 11; ++a)
    for (int32_t b = 0; b < 11; ++b) {
      const bool train = (a * 11 + b) % 3 != 0;
      (train ? data.train_a : data.test_a).push_back(a);
      (train ? data.train_b : data.test_b).push_back(b);
      (train ? data.train_y : data.test_y).push_back((a + b) % 11);
    }
  std::vector<ModelHyper> hyper(3);
  for (size_t i = 0; i < hyper.size(); ++i) {  // every value set: the native side has no defaults
    ModelHyper& h = hyper[i];
    h.seed = i + 1;
    h.optimizer = Optimizer::AdamW;
    h.lr = 0.03;
    h.weight_decay = 2.0;
    h.beta1 = 0.9;
    h.beta2 = 0.98;
    h.eps = 1e-8;
    h.alpha = 1.0;
  }
  std::unique_ptr<Trainer> trainer;
  if (!ok(Trainer::create(Backend::CPU, arch, data, hyper, &trainer), "trainer")) return 3;
  std::vector<EvalResult> ev;
  put("train_step", measure([&] { return ok(trainer->step(3, Control()), "step"); }));
  put("train_evaluate_step", measure([&] {
        return ok(trainer->evaluate(ev), "evaluate") && ok(trainer->step(1, Control()), "step");
      }));

  // Dense inputs, two hidden layers, MSE, minibatches of 32 of 100 samples (4 per epoch, the last
  // one of 4: steps cross epochs, so the sampler redraws its order), a test set evaluated in chunks.
  ArchSpec da;
  da.input = InputKind::Dense;
  da.vocab = 0;
  da.input_dim = 30;
  da.hidden = {20, 16};
  da.out = 5;
  da.bias_first = da.bias_hidden = da.bias_out = true;
  da.loss = Loss::MSE;
  da.batch_size = 32;
  TaskData dd;
  uint64_t ds = 5;
  for (int i = 0; i < 100 * 30; ++i) dd.train_x.push_back(static_cast<float>(unit(ds)));
  for (int i = 0; i < 100; ++i) dd.train_y.push_back(i % 5);
  for (int i = 0; i < 1500 * 30; ++i) dd.test_x.push_back(static_cast<float>(unit(ds)));
  for (int i = 0; i < 1500; ++i) dd.test_y.push_back((i * 7) % 5);
  for (size_t i = 0; i < hyper.size(); ++i) hyper[i].batch_seed = 100 + i;
  std::unique_ptr<Trainer> dense;
  if (!ok(Trainer::create(Backend::CPU, da, dd, hyper, &dense), "dense trainer")) return 3;
  put("dense_minibatch_step", measure([&] { return ok(dense->step(3, Control()), "dense step"); }));
  put("dense_evaluate_step", measure([&] {
        return ok(dense->evaluate(ev), "dense evaluate") && ok(dense->step(1, Control()), "dense step");
      }));

  // Measured training: a snapshot of the hidden activations per checkpoint, measured, then released
  // (the pooled batch is reused by the next snapshot). No step in between: a step changes which neurons
  // are dead and the bins' sizes, and the engine's buffers may then legitimately grow.
  const std::vector<int32_t> snap_models = {0, 2};
  std::vector<MeasureResult> res5;
  MeasureOptions mo3 = mo;
  mo3.bins = 4;
  put("train_snapshot_measure", measure([&] {
        std::shared_ptr<ActivationBatch> snap;
        if (!ok(trainer->snapshot_hidden(snap_models, 0, &snap), "snapshot")) return false;
        const bool good = ok(engine.measure(snap->data, snap->batch, snap->rows, snap->width, mo3, res5), "snapshot measure");
        snap.reset();
        return good;
      }));

  std::vector<MeasureResult> res4;
  put("control", measure([&] { return ok(measure_checkpoints(Backend::CPU, Z.data(), 2, N, H, mo, res4), "control"); }));
  out += "}";
  std::printf("%s\n", out.c_str());
  return 0;
}
