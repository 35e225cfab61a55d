// Run-time kernel selection (kernels.h).
#include "kernels.h"

#include <atomic>
#include <cstdlib>

namespace grokinfo::kernels {

namespace {

// -1: not chosen yet.
std::atomic<int> g_active{-1};

#if defined(GROKINFO_ISA_KERNELS) && (defined(__x86_64__) || defined(_M_X64))
constexpr bool kX86Kernels = true;
#else
constexpr bool kX86Kernels = false;
#endif

Isa best() {
  for (int i = kIsaCount - 1; i > 0; --i)
    if (isa_supported(static_cast<Isa>(i))) return static_cast<Isa>(i);
  return Isa::Portable;
}

bool parse(const std::string& s, Isa* out) {
  for (int i = 0; i < kIsaCount; ++i)
    if (s == isa_name(static_cast<Isa>(i))) {
      *out = static_cast<Isa>(i);
      return true;
    }
  return false;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::AVX2: return "avx2";
    case Isa::AVX512: return "avx512";
    default: return "portable";
  }
}

bool isa_supported(Isa isa, std::string* why) {
  if (isa == Isa::Portable) return true;
  if (!kX86Kernels) {
    if (why) *why = "this build has only the portable kernels (not an x86-64 build)";
    return false;
  }
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  if (isa == Isa::AVX2 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    if (why) *why = "this CPU has no AVX2 + FMA";
    return false;
  }
  if (isa == Isa::AVX512 && !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                              __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                              __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    if (why) *why = "this CPU has no AVX-512 (F, DQ, BW, VL)";
    return false;
  }
#endif
  return true;
}

Isa active_isa() {
  int a = g_active.load(std::memory_order_acquire);
  if (a >= 0) return static_cast<Isa>(a);
  Isa isa = best();
  if (const char* env = std::getenv("GROKINFO_CPU_KERNELS")) {
    Isa forced;
    if (parse(env, &forced) && isa_supported(forced)) isa = forced;
  }
  int expected = -1;
  g_active.compare_exchange_strong(expected, static_cast<int>(isa), std::memory_order_acq_rel);
  return static_cast<Isa>(g_active.load(std::memory_order_acquire));
}

Status set_isa(const std::string& name) {
  Isa isa;
  if (!parse(name, &isa))
    return Status::Error(Code::INVALID_ARGUMENT, "cpu kernels: one of 'portable', 'avx2', 'avx512' (got \"" + name + "\")");
  std::string why;
  if (!isa_supported(isa, &why))
    return Status::Error(Code::BACKEND_UNAVAILABLE, "cpu kernels '" + name + "' cannot run here: " + why);
  g_active.store(static_cast<int>(isa), std::memory_order_release);
  return Status::Ok();
}

const Table& table() {
  switch (active_isa()) {
    case Isa::AVX512: return avx512_table();
    case Isa::AVX2: return avx2_table();
    default: return portable_table();
  }
}

}  // namespace grokinfo::kernels
