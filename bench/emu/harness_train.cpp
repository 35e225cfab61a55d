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
int main(int argc, char** argv) {
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
