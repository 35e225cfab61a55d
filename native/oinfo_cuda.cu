// O-information engine on CUDA (contract: native/oinfo.h, entry points: native/cuda_api.h). This file:
// the two entry points and the checkpoint pipeline; the kernels live with their concern (oinfo_cuda.cuh):
// the multiplet lattice in oinfo_cuda_lattice.cu, the copula in oinfo_cuda_copula.cu, Gram and covariance
// matrices in oinfo_cuda_gram.cu.
//
// oinfo_multiplets_cuda: units of one variable -> the variables kernel, else the units kernel.
// measure_checkpoints_cuda: dead columns and non-finite check, Gram matrix (float64) on the device,
// Ward (NN-chain, same as clustering.cpp) on the host, copula per column (bitonic sort in shared
// memory, mid-ranks, ndtri), covariance (float64 A^T A), then unit_kernel over the bins.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cuda_api.h"
#include "oinfo_cuda.cuh"
#include "oinfo_detail.h"

namespace grokinfo {

namespace oinfo_cuda {

namespace {
std::string members_text(const std::vector<int32_t>& m) {
  std::string s = "[";
  for (size_t i = 0; i < m.size(); ++i) s += (i ? ", " : "") + std::to_string(m[i]);
  return s + "]";
}
}  // namespace

Status device_info(DeviceInfo* di) {
  GK_TRY(cu::require_device());
  int dev = 0;
  GK_CUDA(cudaGetDevice(&dev));
  GK_CUDA(cudaDeviceGetAttribute(&di->sms, cudaDevAttrMultiProcessorCount, dev));
  GK_CUDA(cudaDeviceGetAttribute(&di->smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  return Status::Ok();
}

// Same wording as oinfo_cpu.cpp.
Status singular_error(int64_t b, const std::vector<int32_t>& members) {
  const std::string label = b >= 0 ? " (covariance #" + std::to_string(b) + ")" : "";
  return Status::Error(Code::INVALID_DATA, "singular covariance" + label +
                                               ": non-positive pivot in the multiplet of units " + members_text(members) +
                                               " (duplicate, constant or collinear variables)");
}

namespace {

// Runs f(i) for i in [0, n) on up to hardware_concurrency threads.
template <class F>
void parallel_for(int64_t n, F&& f) {
  const int64_t T = std::max<int64_t>(1, std::min<int64_t>(n, std::thread::hardware_concurrency()));
  if (T <= 1) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < T; ++t)
    pool.emplace_back([&] {
      for (int64_t i; (i = next.fetch_add(1)) < n;) f(i);
    });
  for (auto& th : pool) th.join();
}

Status measure_group(const float* Zg, bool z_on_device, int64_t b0, int64_t nb, int64_t batch, int64_t N, int64_t H,
                     const MeasureOptions& opt, std::vector<MeasureResult>& results, const Control& ctl, cudaStream_t s,
                     const DeviceBuffer<double>& d_score, int smem_optin) {
  // device copy of this group's activations
  DeviceBuffer<float> d_Zown;
  const float* dZ = Zg;
  if (!z_on_device) {
    GK_TRY(d_Zown.upload(Zg, static_cast<size_t>(nb * N * H), s, "activations"));
    dZ = d_Zown.get();
  }
  DeviceBuffer<uint8_t> d_alive;
  DeviceBuffer<u64> d_bad;
  GK_TRY(d_alive.alloc(static_cast<size_t>(nb * H), "alive flags"));
  GK_TRY(d_bad.alloc(static_cast<size_t>(nb), "non-finite positions"));
  GK_CUDA(cudaMemsetAsync(d_bad.get(), 0xff, sizeof(u64) * nb, s));
  GK_TRY(scan_columns(dZ, nb, N, H, d_alive.get(), d_bad.get(), s));
  std::vector<uint8_t> alive(static_cast<size_t>(nb * H));
  std::vector<u64> bad(static_cast<size_t>(nb));
  GK_CUDA(cudaMemcpyAsync(alive.data(), d_alive.get(), alive.size(), cudaMemcpyDeviceToHost, s));
  GK_CUDA(cudaMemcpyAsync(bad.data(), d_bad.get(), sizeof(u64) * nb, cudaMemcpyDeviceToHost, s));
  GK_CUDA(cudaStreamSynchronize(s));
  for (int64_t i = 0; i < nb; ++i)
    if (bad[i] != kNoRank)
      return Status::Error(Code::INVALID_DATA, "checkpoint " + std::to_string(b0 + i) + ": non-finite activation at row " +
                                                   std::to_string(bad[i] / H) + ", column " + std::to_string(bad[i] % H));
  // alive columns
  std::vector<std::vector<int32_t>> aidx(static_cast<size_t>(nb));
  int32_t amax = 0;
  std::vector<int32_t> sel;  // items measured (bins >= 2)
  for (int64_t i = 0; i < nb; ++i) {
    MeasureResult& r = results[b0 + i];
    r = MeasureResult();
    r.labels.assign(static_cast<size_t>(H), -1);
    for (int64_t h = 0; h < H; ++h)
      if (alive[i * H + h]) aidx[i].push_back(static_cast<int32_t>(h));
    const int32_t A = static_cast<int32_t>(aidx[i].size());
    r.dead = static_cast<int32_t>(H - A);
    if (std::min<int64_t>(opt.bins, A) >= 2) {
      sel.push_back(static_cast<int32_t>(i));
      amax = std::max(amax, A);
    }
  }
  if (sel.empty()) return Status::Ok();
  const int64_t ns = static_cast<int64_t>(sel.size());
  std::vector<int32_t> hidx(static_cast<size_t>(ns * amax), 0), hn(static_cast<size_t>(ns));
  for (int64_t q = 0; q < ns; ++q) {
    const auto& a = aidx[sel[q]];
    hn[q] = static_cast<int32_t>(a.size());
    std::copy(a.begin(), a.end(), hidx.begin() + q * amax);
  }
  // the selected items' activations, contiguous (gather on the device)
  DeviceBuffer<float> d_Zsel;
  const float* dZs = dZ;
  if (ns != nb) {
    GK_TRY(d_Zsel.alloc(static_cast<size_t>(ns * N * H), "activations"));
    for (int64_t q = 0; q < ns; ++q)
      GK_CUDA(cudaMemcpyAsync(d_Zsel.get() + q * N * H, dZ + static_cast<int64_t>(sel[q]) * N * H, sizeof(float) * N * H,
                              cudaMemcpyDeviceToDevice, s));
    dZs = d_Zsel.get();
  }
  DeviceBuffer<int32_t> d_idx, d_n, d_dest;
  GK_TRY(d_idx.upload(hidx.data(), hidx.size(), s, "alive columns"));
  GK_TRY(d_n.upload(hn.data(), hn.size(), s, "alive counts"));
  // Gram matrices of the alive columns -> host -> Ward
  DeviceBuffer<double> d_gram;
  const int64_t sq = static_cast<int64_t>(amax) * amax;
  GK_TRY(d_gram.alloc(static_cast<size_t>(ns * sq), "Gram matrices"));
  GK_TRY(gram_matrices(dZs, H, N * H, d_idx.get(), amax, d_n.get(), N, ns, amax, 1.0, d_gram.get(), amax, sq, s));
  std::vector<double> gram(static_cast<size_t>(ns * sq));
  GK_CUDA(cudaMemcpyAsync(gram.data(), d_gram.get(), sizeof(double) * gram.size(), cudaMemcpyDeviceToHost, s));
  GK_CUDA(cudaStreamSynchronize(s));
  if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
  std::vector<std::vector<int32_t>> lab(static_cast<size_t>(ns));
  parallel_for(ns, [&](int64_t q) {
    const int64_t A = hn[q];
    std::vector<double> g(static_cast<size_t>(A * A));
    for (int64_t i = 0; i < A; ++i)
      for (int64_t j = 0; j < A; ++j) g[i * A + j] = gram[q * sq + i * amax + j];
    lab[q].assign(static_cast<size_t>(A), 0);
    ward_from_gram(g.data(), A, static_cast<int32_t>(std::min<int64_t>(opt.bins, A)), lab[q].data());
  });
  // bins -> units (contiguous positions: bin, then alive position)
  std::vector<int32_t> hdest(static_cast<size_t>(ns * amax), 0);
  std::map<int32_t, std::vector<int32_t>> by_bins;  // bins -> indices q
  std::vector<std::vector<int32_t>> offs(static_cast<size_t>(ns));
  for (int64_t q = 0; q < ns; ++q) {
    const int32_t A = hn[q];
    const int32_t bins = static_cast<int32_t>(std::min<int64_t>(opt.bins, A));
    MeasureResult& r = results[b0 + sel[q]];
    for (int32_t j = 0; j < A; ++j) r.labels[aidx[sel[q]][j]] = lab[q][j];
    std::vector<int32_t>& off = offs[q];
    off.assign(static_cast<size_t>(bins) + 1, 0);
    for (int32_t j = 0; j < A; ++j) off[lab[q][j] + 1]++;
    for (int32_t u = 0; u < bins; ++u) off[u + 1] += off[u];
    std::vector<int32_t> fill(off.begin(), off.end() - 1);
    for (int32_t j = 0; j < A; ++j) hdest[q * amax + j] = fill[lab[q][j]]++;
    by_bins[bins].push_back(static_cast<int32_t>(q));
  }
  GK_TRY(d_dest.upload(hdest.data(), hdest.size(), s, "unit positions"));
  // copula scores G (N x amax per item), then covariances
  DeviceBuffer<double> d_G, d_cov;
  GK_TRY(copula_scores(dZs, N, H, d_idx.get(), d_dest.get(), d_n.get(), ns, amax, opt.ties, opt.seed, d_score, smem_optin,
                       s, &d_G));
  GK_TRY(d_cov.alloc(static_cast<size_t>(ns * sq), "covariances"));
  GK_TRY(gram_matrices(d_G.get(), amax, N * amax, nullptr, 0, d_n.get(), N, ns, amax, 1.0 / static_cast<double>(N - 1),
              d_cov.get(), amax, sq, s));
  if (ctl.cancelled()) { cudaStreamSynchronize(s); return Status::Error(Code::CANCELLED, "cancelled"); }
  // multiplets, one launch per distinct bin count
  OInfoOptions oo;
  oo.min_size = 2;
  oo.top_k = opt.top_k;
  oo.scale = opt.scale;
  oo.bias_samples = opt.bias_samples;
  std::vector<double> bias;
  if (opt.bias_samples > 0) {
    if (opt.bias_samples <= amax)
      return Status::Error(Code::INVALID_ARGUMENT, "bias correction: needs more samples (" + std::to_string(opt.bias_samples) +
                                                       ") than variables in a multiplet (" + std::to_string(amax) + ")");
    bias = detail::bias_table(opt.bias_samples, amax);
  }
  for (const auto& kv : by_bins) {
    const int32_t U = kv.first;
    oo.max_size = U;
    std::vector<int32_t> uoff, cidx;
    for (int32_t q : kv.second) {
      uoff.insert(uoff.end(), offs[q].begin(), offs[q].end());
      cidx.push_back(q);
    }
    std::vector<double> table;
    u64 err = kNoRank;
    GK_TRY(run_units_device(d_cov.get(), static_cast<int64_t>(cidx.size()), amax, uoff, U, oo, false, s, table, &err,
                            ctl, &cidx));
    if (err != kNoRank) {
      const u64 e = err - 1;
      std::vector<int32_t> mem;
      for (int u = 0; u < U; ++u)
        if ((e & 0xffffffffull) >> u & 1) mem.push_back(u);
      Status st = singular_error(batch > 1 ? static_cast<int64_t>(b0 + sel[cidx[e >> 32]]) : -1, mem);
      if (batch > 1) st.message = "checkpoint batch: " + st.message;
      return st;
    }
    for (size_t t = 0; t < cidx.size(); ++t) {
      const int32_t q = cidx[t];
      GK_TRY(reduce_table(table.data() + t * (1ull << U), offs[q].data(), U, oo, false, bias,
                          results[b0 + sel[q]].oinfo));
      ctl.add_done(static_cast<double>(results[b0 + sel[q]].oinfo.count));
    }
  }
  return Status::Ok();
}

// What run_variables / run_units_host need of the (already checked, oinfo.cpp) arguments.
void shape_of(const Units& un, const OInfoOptions& opt, bool* singles, int32_t* maxvars) {
  *singles = true;
  std::vector<int32_t> sizes;
  for (int32_t u = 0; u < un.count; ++u) {
    const int32_t k = un.offsets[u + 1] - un.offsets[u];
    if (k != 1) *singles = false;
    sizes.push_back(k);
  }
  std::sort(sizes.rbegin(), sizes.rend());
  *maxvars = 0;
  for (int32_t i = 0; i < opt.max_size; ++i) *maxvars += sizes[i];
}

}  // namespace
}  // namespace oinfo_cuda

using namespace oinfo_cuda;

Status oinfo_multiplets_cuda(const double* cov, int64_t batch, int64_t D, const Units& units,
                             const OInfoOptions& opt, std::vector<OInfoResult>& results, const Control& ctl) {
  if (opt.stream_path)
    return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda' does not stream multiplets; use backend 'cpu'");
  bool singles = true;
  int32_t maxvars = 0;
  shape_of(units, opt, &singles, &maxvars);
  uint64_t total = 0;
  multiplet_count(units.count, opt.min_size, opt.max_size, &total);
  ctl.set_total(static_cast<double>(total) * static_cast<double>(batch));
  // units of one variable: the grouped and individual formulas coincide
  if (singles) return run_variables(cov, batch, D, units, opt, results, ctl);
  return run_units_host(cov, batch, D, units, opt, results, ctl);
}

Status measure_checkpoints_cuda(const float* Z, int64_t batch, int64_t N, int64_t H, const MeasureOptions& opt,
                                std::vector<MeasureResult>& results, const Control& ctl) {
  if (opt.bins > kMaxUnitsTable)
    return Status::Error(Code::BACKEND_UNAVAILABLE, "backend 'cuda': at most " + std::to_string(kMaxUnitsTable) +
                                                        " bins are supported on the GPU; use backend 'cpu'");
  DeviceInfo di;
  GK_TRY(device_info(&di));
  cudaPointerAttributes attr{};
  bool on_device = false;
  cudaError_t e = cudaPointerGetAttributes(&attr, Z);
  if (e == cudaSuccess) on_device = attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged;
  else cudaGetLastError();
  uint64_t per = 0;
  multiplet_count(opt.bins, 2, opt.bins, &per);
  ctl.set_total(static_cast<double>(per) * static_cast<double>(batch));
  cu::Stream stream;
  GK_TRY(stream.create());
  DeviceBuffer<double> d_score;
  GK_TRY(copula_score_table(N, stream.get(), &d_score));
  results.assign(static_cast<size_t>(batch), MeasureResult());
  constexpr int64_t kGroup = 32;  // checkpoints per device pass (bounds the scratch memory)
  for (int64_t b0 = 0; b0 < batch; b0 += kGroup) {
    if (ctl.cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
    const int64_t nb = std::min(kGroup, batch - b0);
    GK_TRY(measure_group(Z + b0 * N * H, on_device, b0, nb, batch, N, H, opt, results, ctl, stream.get(), d_score,
                         di.smem_optin));
  }
  return Status::Ok();
}

}  // namespace grokinfo
