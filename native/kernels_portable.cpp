// The portable kernels of the CPU engines, compiled with their own -march (CMakeLists.txt); chosen at run
// time by kernels.cpp. See syrk_impl.h.
#include "kernels.h"
#include "syrk_impl.h"

namespace grokinfo::kernels {

void syrk_tn_portable(const double* A, int64_t N, int64_t D, int64_t lda, double alpha, double* out, int threads,
                  linalg::SyrkScratch& sc) {
  linalg::syrk_detail::syrk_tn<4>(A, N, D, lda, alpha, out, threads, sc);
}

}  // namespace grokinfo::kernels
