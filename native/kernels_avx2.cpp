// The AVX2 kernels of the CPU engines, compiled with their own -march (CMakeLists.txt) and namespace;
// chosen at run time by kernels.cpp. The kernels themselves: syrk_impl.h, copula_impl.h, lattice_impl.h, gemm_impl.h.
#define GROKINFO_KERNEL_NS isa_avx2
#include "copula_impl.h"
#include "gemm_impl.h"
#include "kernels.h"
#include "lattice_impl.h"
#include "syrk_impl.h"

namespace grokinfo::kernels {

namespace {
namespace K = ::grokinfo::linalg::GROKINFO_KERNEL_NS;
namespace G = ::grokinfo::gemm::GROKINFO_KERNEL_NS;
namespace Q = ::grokinfo::copula::GROKINFO_KERNEL_NS;
void syrk(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
          linalg::SyrkScratch& sc) {
  linalg::syrk_detail::GROKINFO_KERNEL_NS::syrk_tn<4>(A, N, D, lda, alpha, out, threads, sc);
}
const Table kTable = {syrk,           K::lower_mv,       K::lower_tn<4>,  Q::columns_f32,    Q::columns_f64,
                      Q::sort_f32,    Q::sort_f64,       Q::scores,       Q::write8,         G::gemm_panels,
                      G::gemm_masked, G::gemm_dot,       G::gather_relu,  G::scatter_rows,   G::softmax_xent};
}  // namespace

const Table& avx2_table() { return kTable; }

}  // namespace grokinfo::kernels
