#include <cuda_runtime.h>
#include "cuda_util.cuh"
namespace grokinfo::cu {
#include "cu_dev.inc"
}
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
EmuBlock g_emu;
#include "mlp_full.inc"
#include <cstdio>
#include <random>
#include <algorithm>
using namespace grokinfo;
static int fails = 0;
static double relL2(const std::vector<float>& a, const std::vector<float>& b) { double n = 0, d = 0; for (size_t i = 0; i < a.size(); ++i) { n += (double(a[i]) - b[i]) * (double(a[i]) - b[i]); d += double(a[i]) * a[i]; } return sqrt(n / std::max(d, 1e-300)); }
static void check(bool ok, const char* what, double v = 0) { printf("%s  %s %.3g\n", ok ? "PASS" : "FAIL", what, v); fails += !ok; }
static double maxAbs(const std::vector<float>& a, const std::vector<float>& b) { double w = 0; for (size_t i = 0; i < a.size(); ++i) w = std::max(w, fabs(double(a[i]) - b[i])); return w; }
static double worst_params = 0, worst_grad = 0;

// One trainer configuration, CUDA vs CPU: dense or pair inputs, either loss, full batch or minibatches, any
// depth. Initial gradients, parameters / losses / accuracies / norms after `steps` steps (minibatch runs
// cross epoch boundaries, the last batch of an epoch smaller), a CPU trainer with other batch seeds as the
// control that the batch order is what agrees, evaluation of a test set larger than the training set
// (in chunks: GROKINFO_CUDA_EVAL_ROWS), hidden() of every layer, snapshot_hidden, mask, moments and resume
// (a fresh CUDA trainer given the parameters, moments and step count midway continues bitwise).
static void run_case(const char* name, const ArchSpec& arch, const TaskData& d, const std::vector<ModelHyper>& hs, int steps) {
  printf("== case %s\n", name);
  std::unique_ptr<Trainer> cpu, gpu, other;
  Status a = Trainer::create(Backend::CPU, arch, d, hs, &cpu), b = Trainer::create(Backend::CUDA, arch, d, hs, &gpu);
  if (!a.ok() || !b.ok()) { printf("FAIL  %s: create failed: %s / %s\n", name, a.message.c_str(), b.message.c_str()); ++fails; return; }
  const int M = (int)hs.size(), L = (int)arch.hidden.size(), h0 = arch.hidden[0];
  const int64_t np = cpu->param_count(), in0 = input_width(arch), ntr = (int64_t)d.train_y.size();
  const bool minibatch = arch.batch_size > 0 && arch.batch_size < ntr;
  std::vector<uint8_t> keep(h0, 1); for (int j = 1; j < h0; j += 4) keep[j] = 0;
  cpu->set_mask(1, keep.data(), true); gpu->set_mask(1, keep.data(), true);
  std::vector<float> p0(np), p1(np), g0(np), g1(np);
  for (int m = 0; m < M; ++m) { cpu->get_params(m, p0.data()); gpu->get_params(m, p1.data()); check(p0 == p1, "initial params bitwise (mask applied)", m); }
  for (int m = 0; m < M; ++m) { cpu->gradients(m, g0.data()); gpu->gradients(m, g1.data()); const double e = relL2(g0, g1); worst_grad = std::max(worst_grad, e); check(e < 1e-5, "initial full-training-set gradients rel L2", e); }
  const int k = steps / 2;  // resume point (minibatch: inside an epoch, the rest crossing the next epoch's start)
  std::vector<std::vector<float>> mp(M, std::vector<float>(np)), mm(M, std::vector<float>(np)), mv(M, std::vector<float>(np));
  cpu->step(steps, Control());
  Status st = gpu->step(k, Control());
  for (int m = 0; m < M; ++m) { gpu->get_params(m, mp[m].data()); gpu->get_moments(m, mm[m].data(), mv[m].data()); }
  if (st.ok()) st = gpu->step(steps - k, Control());
  if (!st.ok()) { printf("FAIL  %s: gpu step: %s\n", name, st.message.c_str()); ++fails; return; }
  std::vector<EvalResult> ec, eg; cpu->evaluate(ec); gpu->evaluate(eg);
  for (int m = 0; m < M; ++m) {
    if (ec[m].failed || eg[m].failed) { check(ec[m].failed == eg[m].failed && ec[m].failure == eg[m].failure, (std::string("failure agrees: ") + ec[m].failure + " / " + eg[m].failure).c_str()); continue; }
    cpu->get_params(m, p0.data()); gpu->get_params(m, p1.data());
    const double e = relL2(p0, p1); worst_params = std::max(worst_params, e);
    const auto close = [](double x, double y) { return fabs(x - y) <= 1e-5 * std::max(1.0, fabs(x)); };
    const bool ok = e < 1e-5 && close(ec[m].train_loss, eg[m].train_loss) && close(ec[m].test_loss, eg[m].test_loss) &&
                    ec[m].train_acc == eg[m].train_acc && ec[m].test_acc == eg[m].test_acc && close(ec[m].weight_norm, eg[m].weight_norm);
    if (!ok) printf("   model %d: loss %.9g / %.9g test %.9g / %.9g acc %g / %g test acc %g / %g norm %.9g / %.9g\n", m, ec[m].train_loss, eg[m].train_loss, ec[m].test_loss, eg[m].test_loss, ec[m].train_acc, eg[m].train_acc, ec[m].test_acc, eg[m].test_acc, ec[m].weight_norm, eg[m].weight_norm);
    check(ok, "params (rel L2) / train+test loss, acc / norm after steps", e);
  }
  if (minibatch) {  // control: other batch seeds give other batches, far outside the tolerance
    std::vector<ModelHyper> hs2 = hs; for (auto& h : hs2) h.batch_seed += 1000;
    Trainer::create(Backend::CPU, arch, d, hs2, &other); other->set_mask(1, keep.data(), true); other->step(steps, Control());
    other->get_params(0, p0.data()); gpu->get_params(0, p1.data());
    check(relL2(p0, p1) > 1e-3, "control: CPU with other batch seeds differs from CUDA (rel L2)", relL2(p0, p1));
  }
  gpu->get_params(1, p1.data()); bool mz = true;
  for (int j = 0; j < h0; ++j) if (!keep[j]) for (int c = 0; c < in0; ++c) mz &= p1[j * in0 + c] == 0;
  check(mz, "masked W0 rows zero after steps");
  for (int l = 0; l < L; ++l) {
    std::vector<float> hc(ntr * arch.hidden[l]), hg(hc.size()); cpu->hidden(2, l, hc.data()); gpu->hidden(2, l, hg.data());
    check(relL2(hc, hg) < 1e-5, ("hidden(2, " + std::to_string(l) + ") rel L2").c_str(), relL2(hc, hg));
  }
  std::shared_ptr<ActivationBatch> sc, sg; cpu->snapshot_hidden({0, 2}, L - 1, &sc); gpu->snapshot_hidden({0, 2}, L - 1, &sg);
  std::vector<float> a1(sc->data, sc->data + sc->batch * sc->rows * sc->width), a2(sg->data, sg->data + sg->batch * sg->rows * sg->width);
  check(a1.size() == a2.size() && relL2(a1, a2) < 1e-5, "snapshot_hidden(last layer)", relL2(a1, a2));
  // resume: a fresh CUDA trainer from the state after k steps continues bitwise; moments agree with the CPU's layout
  std::unique_ptr<Trainer> res; Trainer::create(Backend::CUDA, arch, d, hs, &res); res->set_mask(1, keep.data(), true);
  for (int m = 0; m < M; ++m) { res->set_params(m, mp[m].data()); res->set_moments(m, mm[m].data(), mv[m].data()); }
  for (int m = 0; m < M; ++m) if (eg[m].failed) res->set_failed(m, eg[m].failure);
  res->set_steps_done(k); res->step(steps - k, Control());
  int rdiff = 0; for (int m = 0; m < M; ++m) { if (eg[m].failed) continue; gpu->get_params(m, p0.data()); res->get_params(m, p1.data()); rdiff += p0 != p1; }
  check(rdiff == 0, "resume after step k: fresh CUDA trainer (params, moments, steps done) continues bitwise", rdiff);
  { std::vector<float> c0(np), c1(np), u0(np), u1(np); cpu->get_moments(0, c0.data(), c1.data()); gpu->get_moments(0, u0.data(), u1.data());
    check(relL2(c0, u0) < 1e-4 && relL2(c1, u1) < 1e-4, "moments CUDA vs CPU (model 0, rel L2 m)", relL2(c0, u0)); }
}

static int dense_cases() {
  setenv("GROKINFO_CUDA_EVAL_ROWS", "64", 1);  // test set 150 rows, training 60: test evaluated in 3 chunks
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<float> u(0, 1);
  const int D = 20, C = 10, ntr = 60, nte = 150;
  std::vector<float> T(C * D); for (auto& t : T) t = u(rng) - 0.5f;  // a random linear teacher
  TaskData d;
  for (int i = 0; i < ntr + nte; ++i) {
    std::vector<float> x(D); for (auto& v : x) v = u(rng);
    int best = 0; double bv = -1e300; for (int c = 0; c < C; ++c) { double s = 0; for (int j = 0; j < D; ++j) s += T[c * D + j] * x[j]; if (s > bv) { bv = s; best = c; } }
    auto& X = i < ntr ? d.train_x : d.test_x; auto& Y = i < ntr ? d.train_y : d.test_y; X.insert(X.end(), x.begin(), x.end()); Y.push_back(best);
  }
  for (int loss = 0; loss < 2; ++loss) for (int mb = 0; mb < 2; ++mb) for (int depth : {1, 3}) {
    ArchSpec arch; arch.input = InputKind::Dense; arch.vocab = 0; arch.input_dim = D; arch.out = C; arch.loss = loss ? Loss::MSE : Loss::CrossEntropy;
    arch.batch_size = mb ? 16 : 0;  // 60 rows: batches 16, 16, 16, 12
    arch.hidden = depth == 1 ? std::vector<int32_t>{24} : std::vector<int32_t>{24, 70, 12};
    arch.bias_first = true; arch.bias_hidden = true; arch.bias_out = depth == 1;
    // (the emulation is slow: few models and steps; SGD and the full-batch failure paths are the pairs case's)
    std::vector<ModelHyper> hs(mb ? 4 : 3);
    for (auto& h : hs) { h.beta1 = 0.9; h.beta2 = 0.98; h.eps = 1e-8; h.alpha = 1; }
    hs[0].optimizer = Optimizer::AdamW; hs[0].lr = 0.003; hs[0].weight_decay = 1.0; hs[0].seed = 1; hs[0].batch_seed = 101;
    hs[1].optimizer = Optimizer::Adam; hs[1].lr = 0.002; hs[1].weight_decay = 0.01; hs[1].seed = 2; hs[1].batch_seed = 102;
    hs[2].optimizer = Optimizer::AdamW; hs[2].lr = 0.001; hs[2].weight_decay = 0; hs[2].alpha = 8; hs[2].constant_norm = true; hs[2].omnigrok_biases = true; hs[2].seed = 4; hs[2].batch_seed = 104;
    if (mb) { hs[3].optimizer = Optimizer::SGD; hs[3].lr = 1e30; hs[3].weight_decay = 0; hs[3].seed = 5; hs[3].batch_seed = 105; }
    const std::string name = std::string("dense ") + (loss ? "mse" : "xent") + (mb ? " minibatch 16/60" : " full batch") + " depth " + std::to_string(depth);
    run_case(name.c_str(), arch, d, hs, mb ? 6 : 4);
  }
  {  // pair inputs with minibatches (per-model batch tokens and scatter lists), MSE, depth 2
    const int p = 11; TaskData q; std::vector<std::pair<int, int>> pairs; for (int a = 0; a < p; ++a) for (int b = 0; b < p; ++b) pairs.push_back({a, b});
    std::shuffle(pairs.begin(), pairs.end(), rng);
    for (size_t i = 0; i < pairs.size(); ++i) { auto [a, b] = pairs[i]; const bool tr = i < 70; (tr ? q.train_a : q.test_a).push_back(a); (tr ? q.train_b : q.test_b).push_back(b); (tr ? q.train_y : q.test_y).push_back((a + b) % p); }
    for (int loss = 1; loss < 2; ++loss) {
      ArchSpec arch; arch.input = InputKind::PairOneHot; arch.vocab = p; arch.input_dim = 0; arch.out = p; arch.loss = loss ? Loss::MSE : Loss::CrossEntropy; arch.batch_size = 32;
      arch.hidden = {20, 16}; arch.bias_first = true; arch.bias_hidden = true; arch.bias_out = true;
      std::vector<ModelHyper> hs(4);
      for (auto& h : hs) { h.beta1 = 0.9; h.beta2 = 0.98; h.eps = 1e-8; h.alpha = 1; }
      hs[0].optimizer = Optimizer::AdamW; hs[0].lr = 0.003; hs[0].weight_decay = 1.0; hs[0].seed = 1; hs[0].batch_seed = 7;
      hs[1].optimizer = Optimizer::Adam; hs[1].lr = 0.002; hs[1].weight_decay = 0.01; hs[1].seed = 2; hs[1].batch_seed = 8;
      hs[2].optimizer = Optimizer::SGD; hs[2].lr = 0.3; hs[2].weight_decay = 0.001; hs[2].seed = 3; hs[2].batch_seed = 9;
      hs[3].optimizer = Optimizer::SGD; hs[3].lr = 1e30; hs[3].weight_decay = 0; hs[3].seed = 4; hs[3].batch_seed = 10;
      run_case(loss ? "pairs p=11 mse minibatch 32/70 depth 2" : "pairs p=11 xent minibatch 32/70 depth 2", arch, q, hs, 6);
    }
  }
  printf("worst rel L2: initial gradients %.3g, params after steps %.3g\n", worst_grad, worst_params);
  printf("%s (%d failures)\n", fails ? "FAILED" : "ALL OK", fails);
  return fails != 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1 && std::string(argv[1]) == "dense") return dense_cases();
  const int p = argc > 1 ? atoi(argv[1]) : 40;
  std::mt19937_64 rng(3);
  std::vector<std::pair<int,int>> pairs; for (int a = 0; a < p; ++a) for (int b = 0; b < p; ++b) pairs.push_back({a, b});
  std::shuffle(pairs.begin(), pairs.end(), rng);
  TaskData d; const int nt = pairs.size() * 6 / 10;
  for (size_t i = 0; i < pairs.size(); ++i) { auto [a, b] = pairs[i]; auto& A = i < (size_t)nt ? d.train_a : d.test_a; auto& B = i < (size_t)nt ? d.train_b : d.test_b; auto& Y = i < (size_t)nt ? d.train_y : d.test_y; A.push_back(a); B.push_back(b); Y.push_back((a + b) % p); }
  ArchSpec arch; arch.input = InputKind::PairOneHot; arch.input_dim = 0; arch.loss = Loss::CrossEntropy; arch.batch_size = 0; arch.vocab = p; arch.hidden = {16, 12}; arch.out = p; arch.bias_first = true; arch.bias_hidden = true; arch.bias_out = true;
  std::vector<ModelHyper> hs(6);  // every value set: ModelHyper has no working defaults
  for (auto& h : hs) { h.beta1 = 0.9; h.beta2 = 0.98; h.eps = 1e-8; h.alpha = 1; }
  hs[0].optimizer = Optimizer::AdamW; hs[0].lr = 0.003; hs[0].weight_decay = 1.0; hs[0].seed = 1;
  hs[1].optimizer = Optimizer::AdamW; hs[1].lr = 0.001; hs[1].weight_decay = 0.1; hs[1].beta2 = 0.999; hs[1].seed = 2;
  hs[2].optimizer = Optimizer::Adam; hs[2].lr = 0.002; hs[2].weight_decay = 0.01; hs[2].seed = 3;
  hs[3].optimizer = Optimizer::SGD; hs[3].lr = 0.5; hs[3].weight_decay = 0.001; hs[3].seed = 4;
  hs[4].optimizer = Optimizer::AdamW; hs[4].lr = 0.003; hs[4].weight_decay = 0; hs[4].alpha = 4; hs[4].zero_output = true; hs[4].constant_norm = true; hs[4].seed = 5;
  hs[5].optimizer = Optimizer::SGD; hs[5].lr = 1e30; hs[5].weight_decay = 0; hs[5].seed = 6;
  std::unique_ptr<Trainer> cpu, gpu;
  Status a = Trainer::create(Backend::CPU, arch, d, hs, &cpu), b = Trainer::create(Backend::CUDA, arch, d, hs, &gpu);
  if (!a.ok() || !b.ok()) { printf("create failed: %s / %s\n", a.message.c_str(), b.message.c_str()); return 1; }
  const int64_t np = cpu->param_count();
  std::vector<uint8_t> keep(16, 1); for (int j = 0; j < 16; j += 5) keep[j] = 0;
  cpu->set_mask(1, keep.data(), true); gpu->set_mask(1, keep.data(), true);
  std::vector<float> g0(np), g1(np);
  for (int m : {0, 1, 4}) { cpu->gradients(m, g0.data()); gpu->gradients(m, g1.data()); check(relL2(g0, g1) < 1e-5, "initial gradients rel L2", relL2(g0, g1)); }
  std::vector<float> p0(np), p1(np);
  for (int m = 0; m < 6; ++m) { cpu->get_params(m, p0.data()); gpu->get_params(m, p1.data()); check(p0 == p1, "initial params bitwise (mask applied)", m); }
  const int steps = argc > 2 ? atoi(argv[2]) : 6;
  cpu->step(steps, Control()); Status st = gpu->step(steps, Control());
  if (!st.ok()) printf("gpu step: %s\n", st.message.c_str());
  {  // GROKINFO_CUDA_GRAPHS=0: plain launches; otherwise the step runs as a replayed (emulated) graph
    const char* ge = getenv("GROKINFO_CUDA_GRAPHS"); const bool graphs = !(ge && std::string(ge) == "0");
    check(graphs ? g_graph_launches >= steps : g_graph_launches == 0, graphs ? "graph launches >= steps (graphs on)" : "no graph launches (GROKINFO_CUDA_GRAPHS=0)", g_graph_launches);
  }
  std::vector<EvalResult> ec, eg; cpu->evaluate(ec); gpu->evaluate(eg);
  for (int m = 0; m < 6; ++m) {
    if (ec[m].failed || eg[m].failed) { check(ec[m].failed == eg[m].failed && ec[m].failure == eg[m].failure, (std::string("failure agrees: ") + ec[m].failure + " / " + eg[m].failure).c_str()); continue; }
    cpu->get_params(m, p0.data()); gpu->get_params(m, p1.data());
    const double e = relL2(p0, p1);
    check(e < 1e-5 && fabs(ec[m].train_loss - eg[m].train_loss) < 1e-5 * std::max(1.0, ec[m].train_loss) && ec[m].train_acc == eg[m].train_acc && ec[m].test_acc == eg[m].test_acc &&
          fabs(ec[m].weight_norm - eg[m].weight_norm) < 1e-5 * ec[m].weight_norm, "params/loss/acc/norm after steps (rel L2 params)", e);
  }
  gpu->get_params(1, p1.data()); bool mz = true; for (int j = 0; j < 16; ++j) if (!keep[j]) { for (int c = 0; c < 2 * p; ++c) mz &= p1[j * 2 * p + c] == 0; }
  check(mz, "masked W0 rows zero");
  std::vector<float> hc(d.train_a.size() * 16), hg(hc.size()); cpu->hidden(2, 0, hc.data()); gpu->hidden(2, 0, hg.data()); check(relL2(hc, hg) < 1e-5, "hidden(2,0)", relL2(hc, hg));
  std::vector<float> h1c(d.train_a.size() * 12), h1g(h1c.size()); cpu->hidden(0, 1, h1c.data()); gpu->hidden(0, 1, h1g.data()); check(relL2(h1c, h1g) < 1e-5, "hidden(0,1)", relL2(h1c, h1g));
  std::shared_ptr<ActivationBatch> sc, sg; cpu->snapshot_hidden({0, 2}, 0, &sc); gpu->snapshot_hidden({0, 2}, 0, &sg);
  std::vector<float> a1(sc->data, sc->data + sc->batch * sc->rows * sc->width), a2(sg->data, sg->data + sg->batch * sg->rows * sg->width);
  check(a1.size() == a2.size() && relL2(a1, a2) < 1e-5, "snapshot_hidden", relL2(a1, a2));
  // set_params roundtrip (with mask) then one more step
  for (auto& x : p0) x *= 0.9f; cpu->set_params(1, p0.data()); gpu->set_params(1, p0.data());
  cpu->get_params(1, p0.data()); gpu->get_params(1, p1.data()); check(p0 == p1, "set_params roundtrip (mask re-applied)");
  // evaluate-time failure: huge params overflow the logits
  std::vector<float> big(np, 1e30f); cpu->set_params(0, big.data()); gpu->set_params(0, big.data());
  cpu->evaluate(ec); gpu->evaluate(eg);
  check(ec[0].failed == eg[0].failed && ec[0].failure == eg[0].failure, (std::string("evaluate-time failure: ") + ec[0].failure + " / " + eg[0].failure).c_str());
  cpu->step(2, Control()); gpu->step(2, Control());
  for (int m : {2, 3, 4}) { cpu->get_params(m, p0.data()); gpu->get_params(m, p1.data()); check(relL2(p0, p1) < 1e-5, "params after 2 more steps", relL2(p0, p1)); }
  printf("%s (%d failures)\n", fails ? "FAILED" : "ALL OK", fails);
  return fails != 0;
}
