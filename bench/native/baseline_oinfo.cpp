// Baseline: one independent Cholesky and inverse per multiplet (see baseline_oinfo.h).
#include "baseline_oinfo.h"

#include <omp.h>

#include <cmath>
#include <mutex>
#include <string>

#include "oinfo_detail.h"

namespace grokinfo {

namespace {

// Omega over the individual variables S (nats), from scratch. Returns false on a non-positive pivot.
bool omega_scratch(const double* C, int64_t D, const std::vector<int32_t>& S, std::vector<double>& L,
                   std::vector<double>& Li, double* out) {
  const int64_t n = static_cast<int64_t>(S.size());
  L.assign(static_cast<size_t>(n * n), 0.0);
  Li.assign(static_cast<size_t>(n * n), 0.0);
  double logdet = 0, sumc = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      double s = C[S[i] * D + S[j]];
      for (int64_t k = 0; k < j; ++k) s -= L[i * n + k] * L[j * n + k];
      if (i == j) {
        if (!(s > 0)) return false;
        L[i * n + i] = std::sqrt(s);
        logdet += std::log(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
    sumc += std::log(C[S[i] * D + S[i]]);
  }
  for (int64_t i = 0; i < n; ++i) {
    Li[i * n + i] = 1.0 / L[i * n + i];
    for (int64_t j = 0; j < i; ++j) {
      double s = 0;
      for (int64_t k = j; k < i; ++k) s += L[i * n + k] * Li[k * n + j];
      Li[i * n + j] = -s / L[i * n + i];
    }
  }
  double sump = 0;
  for (int64_t j = 0; j < n; ++j) {
    double p = 0;
    for (int64_t i = j; i < n; ++i) p += Li[i * n + j] * Li[i * n + j];
    sump += std::log(p);
  }
  *out = -logdet + 0.5 * sumc - 0.5 * sump;
  return true;
}

void vars_of(const Units& units, const int32_t* m, int32_t s, std::vector<int32_t>& S) {
  S.clear();
  for (int32_t i = 0; i < s; ++i)
    for (int32_t a = units.offsets[m[i]]; a < units.offsets[m[i] + 1]; ++a) S.push_back(units.members[a]);
}

double correction(const std::vector<double>& bias, int32_t n) {
  return bias.empty() ? 0.0 : detail::bias_individual(bias.data(), n);
}

}  // namespace

Status oinfo_multiplets_baseline(const double* cov, int64_t D, const Units& units, const OInfoOptions& opt,
                                 uint64_t stride, OInfoResult& result, const Control& ctl) {
  const int32_t U = units.count;
  if (opt.min_size < 2 || opt.max_size < opt.min_size || opt.max_size > U)
    return Status::Error(Code::INVALID_ARGUMENT, "baseline: bad sizes");
  if (stride < 1) stride = 1;
  std::vector<double> bias;
  if (opt.bias_samples > 0) bias = detail::bias_table(opt.bias_samples, static_cast<int32_t>(D));
  result = OInfoResult();
  detail::TopK<true> syn;
  detail::TopK<false> red;
  syn.k = red.k = opt.top_k;
  std::mutex mu;
  bool failed = false;
  std::string fail_msg;
  const int nt = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  std::vector<std::vector<int32_t>> syn_members, red_members;
  for (int32_t s = opt.min_size; s <= opt.max_size; ++s) {
    const uint64_t total = detail::binom(U, s);
    const uint64_t nsample = (total + stride - 1) / stride;
    detail::Cand mn, mx;
    // Ranks here are lexicographic ranks within the size; top-k members are resolved per size.
    detail::TopK<true> ssyn;
    detail::TopK<false> sred;
    ssyn.k = sred.k = opt.top_k;
#pragma omp parallel num_threads(nt)
    {
      std::vector<double> L, Li;
      std::vector<int32_t> S;
      std::vector<int32_t> m(static_cast<size_t>(s));
      detail::Cand lmn, lmx;
      detail::TopK<true> lsyn;
      detail::TopK<false> lred;
      lsyn.k = lred.k = opt.top_k;
#pragma omp for schedule(dynamic, 256)
      for (int64_t i = 0; i < static_cast<int64_t>(nsample); ++i) {
        if (failed) continue;
        const uint64_t r = static_cast<uint64_t>(i) * stride;
        detail::comb_unrank_lex(r, s, U, m.data());
        vars_of(units, m.data(), s, S);
        double v;
        if (!omega_scratch(cov, D, S, L, Li, &v)) {
          std::lock_guard<std::mutex> g(mu);
          failed = true;
          fail_msg = "baseline: singular multiplet";
          continue;
        }
        v = opt.scale * (v - correction(bias, static_cast<int32_t>(S.size())));
        detail::Cand c{v, r};
        if (detail::less_min(c, lmn)) lmn = c;
        if (detail::greater_max(c, lmx)) lmx = c;
        lsyn.push(c);
        lred.push(c);
      }
      std::lock_guard<std::mutex> g(mu);
      if (detail::less_min(lmn, mn)) mn = lmn;
      if (detail::greater_max(lmx, mx)) mx = lmx;
      ssyn.merge(lsyn);
      sred.merge(lred);
    }
    if (failed) return Status::Error(Code::INVALID_DATA, fail_msg);
    if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
    auto mk = [&](const detail::Cand& c) {
      Multiplet mm;
      mm.value = c.value;
      if (c.valid()) {
        mm.members.resize(static_cast<size_t>(s));
        detail::comb_unrank_lex(c.rank, s, U, mm.members.data());
      }
      return mm;
    };
    SizeExtremes e;
    e.size = s;
    e.count = nsample;
    e.min = mk(mn);
    e.max = mk(mx);
    result.count += nsample;
    if (!result.min.members.size() || e.min.value < result.min.value) result.min = e.min;
    if (!result.max.members.size() || e.max.value > result.max.value) result.max = e.max;
    result.by_size.push_back(e);
    for (const auto& c : ssyn.sorted()) result.top_synergy.push_back(mk(c));
    for (const auto& c : sred.sorted()) result.top_redundancy.push_back(mk(c));
  }
  std::sort(result.top_synergy.begin(), result.top_synergy.end(), [](const Multiplet& a, const Multiplet& b) { return a.value < b.value; });
  std::sort(result.top_redundancy.begin(), result.top_redundancy.end(), [](const Multiplet& a, const Multiplet& b) { return a.value > b.value; });
  if (static_cast<int32_t>(result.top_synergy.size()) > opt.top_k) result.top_synergy.resize(static_cast<size_t>(opt.top_k));
  if (static_cast<int32_t>(result.top_redundancy.size()) > opt.top_k) result.top_redundancy.resize(static_cast<size_t>(opt.top_k));
  return Status::Ok();
}

Status oinfo_values_baseline(const double* cov, int64_t D, const Units& units, const OInfoOptions& opt,
                             const std::vector<std::vector<int32_t>>& multiplets, std::vector<double>& values) {
  std::vector<double> bias;
  if (opt.bias_samples > 0) bias = detail::bias_table(opt.bias_samples, static_cast<int32_t>(D));
  values.assign(multiplets.size(), 0.0);
  std::vector<double> L, Li;
  std::vector<int32_t> S;
  for (size_t i = 0; i < multiplets.size(); ++i) {
    vars_of(units, multiplets[i].data(), static_cast<int32_t>(multiplets[i].size()), S);
    double v;
    if (!omega_scratch(cov, D, S, L, Li, &v)) return Status::Error(Code::INVALID_DATA, "baseline: singular multiplet");
    values[i] = opt.scale * (v - correction(bias, static_cast<int32_t>(S.size())));
  }
  return Status::Ok();
}

Status measure_checkpoints_baseline(const float* Z, int64_t batch, int64_t N, int64_t H, const MeasureOptions& opt,
                                    std::vector<MeasureResult>& results, const Control& ctl) {
  results.assign(static_cast<size_t>(batch), MeasureResult());
  for (int64_t b = 0; b < batch; ++b) {
    const float* X = Z + b * N * H;
    MeasureResult& res = results[b];
    std::vector<uint8_t> alive(static_cast<size_t>(H), 0);
    std::vector<int32_t> idx;
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t t = 1; t < N; ++t)
        if (X[t * H + h] != X[h]) {
          alive[h] = 1;
          break;
        }
      if (alive[h]) idx.push_back(static_cast<int32_t>(h));
    }
    const int64_t A = static_cast<int64_t>(idx.size());
    res.dead = static_cast<int32_t>(H - A);
    res.labels.assign(static_cast<size_t>(H), -1);
    const int32_t bins = static_cast<int32_t>(std::min<int64_t>(opt.bins, A));
    if (bins < 2) continue;
    Status s = ward_cluster(X, N, H, alive.data(), bins, res.labels.data(), ctl);
    if (!s.ok()) return s;
    std::vector<float> Xa(static_cast<size_t>(N * A));
    for (int64_t t = 0; t < N; ++t)
      for (int64_t j = 0; j < A; ++j) Xa[t * A + j] = X[t * H + idx[j]];
    std::vector<double> cov(static_cast<size_t>(A * A));
    s = copula_covariance(Xa.data(), N, A, opt.ties, opt.seed, cov.data(), ctl);
    if (!s.ok()) return s;
    Units un;
    un.count = bins;
    un.offsets.assign(static_cast<size_t>(bins) + 1, 0);
    for (int64_t j = 0; j < A; ++j) un.offsets[res.labels[idx[j]] + 1]++;
    for (int32_t u = 0; u < bins; ++u) un.offsets[u + 1] += un.offsets[u];
    un.members.resize(static_cast<size_t>(A));
    std::vector<int32_t> fill(un.offsets.begin(), un.offsets.end() - 1);
    for (int64_t j = 0; j < A; ++j) un.members[fill[res.labels[idx[j]]]++] = static_cast<int32_t>(j);
    OInfoOptions oo;
    oo.min_size = 2;
    oo.max_size = bins;
    oo.top_k = opt.top_k;
    oo.scale = opt.scale;
    oo.bias_samples = opt.bias_samples;
    oo.threads = opt.threads;
    s = oinfo_multiplets_baseline(cov.data(), A, un, oo, 1, res.oinfo, ctl);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace grokinfo
