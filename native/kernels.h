// Run-time selection of the CPU engines' vector kernels. Each instruction set has its own translation
// unit compiled with its own -march (kernels_portable.cpp: baseline x86-64 / any CPU; kernels_avx2.cpp:
// x86-64-v3, AVX2 + FMA; kernels_avx512.cpp: x86-64-v4, AVX-512), so one binary runs anywhere and uses
// the widest path the CPU has. The choice is made once, from the CPU's features
// (__builtin_cpu_supports), or forced by the environment variable GROKINFO_CPU_KERNELS
// (portable | avx2 | avx512) or by set_isa (tests and benchmarks).
// One table per path (Table below), one selection: the float64 A^T A of the Ward Gram matrix and the
// copula covariance (syrk_impl.h), the copula's per-column transforms (copula_impl.h), the general lattice
// walker's triangular products (lattice_impl.h) and the trainer's float32 products, layer 0 and softmax
// (gemm_impl.h). Each kernels_*.cpp defines its own
// GROKINFO_KERNEL_NS before including those headers, so no path's code is merged with another's at link
// time, and the portable file (baseline x86-64) holds no AVX instruction.
#pragma once
#include <cstdint>
#include <string>

#include "common.h"
#include "oinfo_linalg.h"

namespace grokinfo::kernels {

enum class Isa : int { Portable = 0, AVX2 = 1, AVX512 = 2 };
constexpr int kIsaCount = 3;

const char* isa_name(Isa isa);
// True when this build has the path and this CPU can run it; `why` says why not.
bool isa_supported(Isa isa, std::string* why = nullptr);
Isa active_isa();
// Forces a path (INVALID_ARGUMENT naming the unknown name, BACKEND_UNAVAILABLE when unsupported).
Status set_isa(const std::string& name);

// The buffers of one column's sort (copula_impl.h), N elements each; the sort says whether its result
// ended in the temporaries.
struct SortBuffers {
  uint64_t* key;
  uint64_t* key_tmp;
  uint32_t* idx;
  uint32_t* idx_tmp;
  uint32_t* zrow;
  bool key_in_tmp = false, idx_in_tmp = false;
};

struct Table {
  // out = alpha A^T A (contract of linalg::syrk_tn, oinfo_linalg.h).
  void (*syrk_tn)(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
                  linalg::SyrkScratch& sc);
  // Lattice (lattice_impl.h): B[a][i] = sum_{j<=i} L[i][j] X[a][j]; R[a][j] = sum_{i>=j} B[a][i] L[i][j].
  void (*lower_mv)(const double* L, int64_t ldl, const double* X, int64_t ldx, int64_t k, int64_t n, double* B,
                   int64_t ldb);
  void (*lower_tn)(const double* L, int64_t ldl, const double* B, int64_t ldb, int64_t k, int64_t n, double* R,
                   int64_t ldr);
  // Copula (copula_impl.h): rows [t0, t1) of the N x D input into contiguous columns; the stable sort of one
  // column; a sorted column's normal scores, demeaned; 8 score columns into G's rows.
  void (*copula_columns_f32)(const float* X, int64_t N, int64_t D, int64_t t0, int64_t t1, float* Xt);
  void (*copula_columns_f64)(const double* X, int64_t N, int64_t D, int64_t t0, int64_t t1, double* Xt);
  void (*copula_sort_f32)(const float* x, int64_t N, SortBuffers& b);
  void (*copula_sort_f64)(const double* x, int64_t N, SortBuffers& b);
  void (*copula_scores)(const uint64_t* key, const uint32_t* idx, int64_t N, bool average, const double* score,
                        double* gc);
  void (*copula_write8)(const double* g8, int64_t N, double* G, int64_t lda, int64_t c8);
  // Trainer (contracts in gemm.h).
  void (*gemm_panels)(const float* ap, int64_t M, int64_t K, const float* B, const float* bias, bool relu, float* C,
                      int64_t p0, int64_t p1);
  void (*gemm_masked)(const float* ap, int64_t M, int64_t K, const float* B, const float* H, float* C, int64_t P,
                      int64_t t0, int64_t t1);
  void (*gemm_dot)(const float* X, int64_t M, const float* Y, int64_t N, int64_t P, float* C, int64_t t0, int64_t t1);
  void (*gather_relu)(const float* WT, int64_t ldt, const float* b, int64_t Hn, const int32_t* ia, const int32_t* ib,
                      float* H, int64_t p0, int64_t p1);
  void (*scatter_rows)(const float* dZ, int64_t Hn, int64_t N, const int32_t* ia, const int32_t* ib, int64_t rowsT,
                       float* dWT, int64_t ldt, float* db, int64_t kb0, int64_t kb1);
  void (*softmax_xent)(float* L, int64_t C, const int32_t* y, int64_t N, bool grad, float scale, double* loss,
                       uint8_t* correct, int64_t p0, int64_t p1);
};

// The active path's table (chosen on first use; set_isa switches it).
const Table& table();

// The per-ISA tables (kernels_*.cpp).
const Table& portable_table();
const Table& avx2_table();
const Table& avx512_table();

}  // namespace grokinfo::kernels
