// What the CUDA O-information files share (internal: the engine's contract is native/oinfo.h, its
// entry points native/cuda_api.h). One file per concern, as llm.c keeps its kernels:
//   oinfo_cuda.cu          entry points (oinfo_multiplets_cuda, measure_checkpoints_cuda), the checkpoint
//                          pipeline (scan -> Gram -> Ward -> copula -> covariance -> lattice), device facts
//   oinfo_cuda_lattice.cu  the multiplet lattice: var_kernel, unit_kernel, their host drivers and reductions
//   oinfo_cuda_copula.cu   copula_kernel: ranks with a tie policy -> demeaned normal scores
//   oinfo_cuda_gram.cu     scan_columns_kernel and gram_kernel: dead / non-finite columns, Gram and covariance
// Each file keeps its kernels and their parameters private (anonymous namespace) and exports host functions
// that launch them on a stream; device pointers are named d_*.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda_util.cuh"
#include "oinfo.h"

namespace grokinfo::oinfo_cuda {

using cu::DeviceBuffer;
using u64 = unsigned long long;
constexpr u64 kNoRank = ~0ull;      // "no multiplet" rank / "no error" flag
constexpr int kMaxUnitsTable = 20;  // most units (bins) of the units kernel: its node table is indexed by bitmask

// ---- oinfo_cuda.cu
struct DeviceInfo {
  int sms = 132;
  int smem_optin = 48 * 1024;
};
Status device_info(DeviceInfo* di);
// The error for a non positive-definite multiplet (same wording as oinfo_cpu.cpp); b < 0: no batch label.
Status singular_error(int64_t b, const std::vector<int32_t>& members);

// ---- oinfo_cuda_lattice.cu
// Variables mode (every unit one variable), host covariances batch x D x D.
Status run_variables(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                     std::vector<OInfoResult>& results, const Control& ctl);
// Units mode from host covariances.
Status run_units_host(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                      std::vector<OInfoResult>& results, const Control& ctl);
// Units mode on device covariances d_C (batch x Dc x Dc, each unit contiguous; uoff: batch x (U + 1) host).
// Fills the per-node values `table` (batch x 2^U, host); *err_out: kNoRank, or (item << 32 | mask) + 1 of
// a non positive-definite union. cidx: which covariance of d_C each item uses (null: the item's index).
// Launches of bounded size (oinfo_cuda_lattice.cu): CANCELLED between two when ctl is cancelled.
Status run_units_device(const double* d_C, int64_t batch, int64_t Dc, const std::vector<int32_t>& uoff, int U,
                        const OInfoOptions& opt, bool grouped, cudaStream_t s, std::vector<double>& table,
                        u64* err_out, const Control& ctl, const std::vector<int32_t>* cidx = nullptr);
// One batch item's node table -> OInfoResult (bias, scale, extremes, top-k).
Status reduce_table(const double* tab, const int32_t* uoff, int U, const OInfoOptions& opt, bool grouped,
                    const std::vector<double>& bias, OInfoResult& res);

// ---- oinfo_cuda_gram.cu
// For nb items of N x H floats: d_alive[b*H + h] = column h not constant; d_bad[b] = min row-major index
// of a non-finite value (d_bad preset to kNoRank by the caller).
Status scan_columns(const float* d_Z, int64_t nb, int64_t N, int64_t H, uint8_t* d_alive, u64* d_bad, cudaStream_t s);
// d_out[b][i][j] = alpha * sum_t X[b][t][col(i)] X[b][t][col(j)] (float64 accumulation) for i, j < d_ncols[b],
// b < nitems; col(i) = d_cols[b*ldcols + i], or i when d_cols is null; nmax >= every d_ncols[b].
template <typename T>
Status gram_matrices(const T* d_X, int64_t ldx, int64_t sX, const int32_t* d_cols, int64_t ldcols,
                     const int32_t* d_ncols, int64_t N, int64_t nitems, int32_t nmax, double alpha, double* d_out,
                     int64_t ldo, int64_t sO, cudaStream_t s);

// ---- oinfo_cuda_copula.cu
// Normal scores by twice the 0-based mid-rank for N samples (the CPU's ndtri: identical values on both backends).
Status copula_score_table(int64_t N, cudaStream_t s, DeviceBuffer<double>* d_score);
// For each of nitems items and alive column j < d_nalive[b] (<= amax): ranks of column d_alive_idx[b*amax + j]
// of the item's N x H activations (tie policy, seed), normal scores, demeaned, written to column
// d_dest[b*amax + j] of the item's N x amax block of *d_G (allocated here: nitems * N * amax doubles).
Status copula_scores(const float* d_Z, int64_t N, int64_t H, const int32_t* d_alive_idx, const int32_t* d_dest,
                     const int32_t* d_nalive, int64_t nitems, int32_t amax, TiePolicy ties, uint64_t seed,
                     const DeviceBuffer<double>& d_score, int smem_optin, cudaStream_t s, DeviceBuffer<double>* d_G);

}  // namespace grokinfo::oinfo_cuda
