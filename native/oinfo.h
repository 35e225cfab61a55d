// O-information engine: Gaussian copula, covariance, Ward clustering and the closed-form
// O-information of every multiplet (METHOD.md §2). CPU implementation in oinfo_cpu.cpp (+ copula.cpp,
// clustering.cpp), CUDA implementation in oinfo_cuda.cu behind the same functions.
#pragma once
#include <cstdint>
#include <vector>

#include "common.h"

namespace grokinfo {

enum class TiePolicy : int { Average = 0, Random = 1, Ordinal = 2 };

// ---------------------------------------------------------------------------------------------
// Gaussian copula + covariance.
// X: N x D row-major (samples x variables), float32 or float64. Ranks per column with the tie
// policy (0-based ranks; `average` = mid-ranks; `random` = ties broken by a permutation seeded by
// `seed` (deterministic for a given seed); `ordinal` = ties broken by sample index), u = (rank+1)/(N+1),
// g = Phi^-1(u) (accurate to double precision), demeaned per column; cov = G^T G / (N - 1), D x D
// row-major float64. Non-finite values -> INVALID_DATA naming row and column. N < 3 -> INVALID_ARGUMENT.
Status copula_covariance(const float* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed,
                         double* cov, const Control& ctl = Control());
Status copula_covariance(const double* X, int64_t N, int64_t D, TiePolicy ties, uint64_t seed,
                         double* cov, const Control& ctl = Control());

// Inverse standard normal CDF, full double precision for u in (0,1).
double ndtri(double u);

// ---------------------------------------------------------------------------------------------
// Ward agglomerative clustering of the D columns of X (N x D row-major) as points in R^N
// (Euclidean; same merges as scipy.cluster.hierarchy.ward / sklearn AgglomerativeClustering(ward)),
// cut into k clusters. labels[d] in [0, k): clusters are numbered by their smallest member column.
// Only the columns with use[d] != 0 take part (use == nullptr: all); excluded columns get label -1.
// Pairwise distances are computed natively from the Gram matrix in float64.
Status ward_cluster(const float* X, int64_t N, int64_t D, const uint8_t* use, int32_t k,
                    int32_t* labels, const Control& ctl = Control());
Status ward_cluster(const double* X, int64_t N, int64_t D, const uint8_t* use, int32_t k,
                    int32_t* labels, const Control& ctl = Control());

// Ward linkage of n points from their Gram matrix (n x n row-major float64), cut into k clusters
// (1 <= k <= n), labels numbered by smallest member. The core of ward_cluster.
void ward_from_gram(const double* gram, int64_t n, int32_t k, int32_t* labels);

// ---------------------------------------------------------------------------------------------
// Multiplets. A "unit" is a set of variables (indices into the covariance): in variables mode each
// unit is one variable, in bins mode a bin, in groups mode a group. A multiplet is a set of units
// with size (in units) in [min_size, max_size].
//   grouped == false: Omega is taken over the INDIVIDUAL variables of the union of the units:
//     Omega(S) = -ln|C_S| + 1/2 sum_j ln C_jj - 1/2 sum_j ln P_jj, P = C_S^-1, n = |S| variables.
//   grouped == true: each unit is one vector-valued variable (m units):
//     Omega = -ln|C_S| + 1/2 sum_g ln|C_gg| - 1/2 sum_g ln|P_gg|.
// Values are computed in nats and multiplied by `scale` (1 for nats, 1/ln 2 for bits).
// bias_samples > 0 applies the Ince et al. (2017) bias correction for that many samples: with
// b(d) = 1/2 [d ln(2/(N-1)) + sum_{i=1..d} psi((N-i)/2)], subtract (n-2) b(n) + n b(1) - n b(n-1)
// (individual) or (m-2) b(D_S) + sum_g [b(d_g) - b(D_S - d_g)] (grouped), before scaling.
struct Units {
  int32_t count = 0;                 // number of units
  std::vector<int32_t> offsets;      // count + 1
  std::vector<int32_t> members;      // variable indices, unit u = members[offsets[u] .. offsets[u+1])
};

struct OInfoOptions {
  int32_t min_size = 2;
  int32_t max_size = 3;
  int32_t top_k = 0;              // keep the k lowest and k highest multiplets (0: none)
  bool grouped = false;
  double scale = 1.0;
  int64_t bias_samples = 0;       // 0: no bias correction
  const char* stream_path = nullptr;  // non-null (batch must be 1): every multiplet as a JSON line
                                      // {"members":[u0,u1,...],"oinfo":x} (unit indices, ascending),
                                      // written to this path (the caller renames it into place)
  int32_t threads = 0;            // 0: all cores
};

struct Multiplet {
  double value = 0;
  std::vector<int32_t> members;   // unit indices, ascending
};

struct SizeExtremes {
  int32_t size = 0;               // in units
  uint64_t count = 0;
  Multiplet min;                  // most synergistic of this size
  Multiplet max;                  // most redundant of this size
};

struct OInfoResult {
  uint64_t count = 0;                  // multiplets evaluated
  std::vector<SizeExtremes> by_size;   // min_size..max_size
  Multiplet min, max;                  // overall
  std::vector<Multiplet> top_synergy;  // ascending value, at most top_k
  std::vector<Multiplet> top_redundancy;  // descending value, at most top_k
};

// Number of multiplets: sum_{s=min..max} C(units, s). Returns false on overflow of uint64.
bool multiplet_count(int32_t units, int32_t min_size, int32_t max_size, uint64_t* out);

// cov: `batch` covariance matrices, each D x D row-major float64, contiguous. Every unit must be
// non-empty with distinct in-range variables, and units must be disjoint. A non-positive-definite
// sub-covariance -> INVALID_DATA whose message names the multiplet's units. results.size() == batch.
// Progress: ctl's total is set to batch * multiplet count, done advances as multiplets finish.
Status oinfo_multiplets(Backend backend, const double* cov, int64_t batch, int64_t D,
                        const Units& units, const OInfoOptions& opt,
                        std::vector<OInfoResult>& results, const Control& ctl = Control());

// ---------------------------------------------------------------------------------------------
// The paper's measurement of one checkpoint (METHOD.md §2), batched: for each of `batch` activation
// matrices Z[b] (N x H row-major float32, contiguous): exclude dead (constant) columns, Ward-cluster
// the alive columns into `bins` bins, copula covariance of the alive columns, O-information of every
// union of 2..bins bins over the individual neurons.
struct MeasureOptions {
  int32_t bins = 10;
  TiePolicy ties = TiePolicy::Average;
  uint64_t seed = 0;
  double scale = 1.0;
  int64_t bias_samples = 0;       // 0: off; else usually N
  int32_t top_k = 0;
  int32_t threads = 0;
  // CPU: a checkpoint whose data the estimator does not admit (INVALID_DATA: a singular covariance, too few
  // samples) gets the message in its result's `error` and the rest of the batch is measured; off, the call
  // fails. The CUDA pipeline always fails the call.
  bool item_errors = false;
};

struct MeasureResult {
  int32_t dead = 0;                 // excluded constant columns
  std::vector<int32_t> labels;      // H entries: bin of each neuron, -1 for dead
  OInfoResult oinfo;                // units are bins
  std::string error;                // with MeasureOptions::item_errors: why this checkpoint was not measured
};

// On the CUDA backend Z may be host or device memory (cudaPointerGetAttributes tells); on the CPU
// it must be host memory.
Status measure_checkpoints(Backend backend, const float* Z, int64_t batch, int64_t N, int64_t H,
                           const MeasureOptions& opt, std::vector<MeasureResult>& results,
                           const Control& ctl = Control());

// The same bins pipeline with the options of `grokinfo oinfo --bins ward:K` (CPU backend): multiplets
// of min_size..max_size bins, an optional stream of every multiplet (batch 1), float32 or float64 data,
// and the "too few samples" check of the largest multiplet.
struct BinsOptions {
  MeasureOptions m;
  int32_t min_size = 2;
  int32_t max_size = 0;               // 0: every bin
  const char* stream_path = nullptr;  // as OInfoOptions::stream_path (batch 1)
  bool check_samples = false;         // INVALID_DATA "too few samples" when N <= variables + 1
  const char* data_label = "checkpoint";  // names a matrix of the batch in messages
};

// Argument checks of oinfo_multiplets shared by both backends (native/oinfo.cpp): sizes, units,
// options, and every unit variable's variance. maxvars (optional): variables of the largest multiplet.
Status check_multiplets(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                        int32_t* maxvars = nullptr);
// The same with caller-kept scratch (no allocation within its capacity).
Status check_multiplets(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                        int32_t* maxvars, std::vector<char>& seen, std::vector<int32_t>& sizes);

// ---------------------------------------------------------------------------------------------
// A persistent engine instance: the one place where the backend is chosen and arguments are checked.
// On the CPU it keeps its scratch between calls (buffers grow to the largest problem seen and never
// shrink), so once warm, calls of the same or smaller size allocate nothing and fault no pages when the
// caller reuses its result vectors. One call at a time per instance. The free functions above run a
// temporary engine.
namespace cpu { struct EngineScratch; }
class OInfoEngine {
 public:
  explicit OInfoEngine(Backend backend = Backend::CPU);
  ~OInfoEngine();
  OInfoEngine(const OInfoEngine&) = delete;
  OInfoEngine& operator=(const OInfoEngine&) = delete;
  Backend backend() const { return backend_; }

  Status multiplets(const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt,
                    std::vector<OInfoResult>& results, const Control& ctl = Control());
  Status measure(const float* Z, int64_t batch, int64_t N, int64_t H, const MeasureOptions& opt,
                 std::vector<MeasureResult>& results, const Control& ctl = Control());
  // CPU backend only (BACKEND_UNAVAILABLE on CUDA).
  Status measure_bins(const float* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                      std::vector<MeasureResult>& results, const Control& ctl = Control());
  Status measure_bins(const double* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                      std::vector<MeasureResult>& results, const Control& ctl = Control());

 private:
  Backend backend_;
  cpu::EngineScratch* ws_;
  std::vector<char> seen_;
  std::vector<int32_t> sizes_;
};

}  // namespace grokinfo
