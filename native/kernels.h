// Run-time selection of the CPU engines' vector kernels. Each instruction set has its own translation
// unit compiled with its own -march (kernels_portable.cpp: baseline x86-64 / any CPU; kernels_avx2.cpp:
// x86-64-v3, AVX2 + FMA; kernels_avx512.cpp: x86-64-v4, AVX-512), so one binary runs anywhere and uses
// the widest path the CPU has. The choice is made once, from the CPU's features
// (__builtin_cpu_supports), or forced by the environment variable GROKINFO_CPU_KERNELS
// (portable | avx2 | avx512) or by set_isa (tests and benchmarks).
// Kernels: the float64 A^T A of the Ward Gram matrix and the copula covariance (syrk_tn).
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

using SyrkFn = void (*)(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
                        linalg::SyrkScratch& sc);
SyrkFn syrk();

// The per-ISA entry points (kernels_*.cpp).
void syrk_tn_portable(const double*, int64_t, int64_t, int64_t, double, double*, int, linalg::SyrkScratch&);
void syrk_tn_avx2(const double*, int64_t, int64_t, int64_t, double, double*, int, linalg::SyrkScratch&);
void syrk_tn_avx512(const double*, int64_t, int64_t, int64_t, double, double*, int, linalg::SyrkScratch&);

}  // namespace grokinfo::kernels
