// O-information of every multiplet, CPU engine (METHOD.md §2.4), and the CPU bins pipeline of
// measure_checkpoints (the front, with the argument checks and the backend dispatch, is oinfo.cpp).
//
// No multiplet pays for a factorisation from scratch. The subset lattice is walked depth-first in
// preorder (oinfo_detail.h); a child extends its parent's inverse Cholesky factor Linv = L^-1 by the
// new unit's rows: with L_new = [[L, 0], [B, Lb]],
//   L_new^-1 = [[L^-1, 0], [-Lb^-1 B L^-1, Lb^-1]],
// so P = C_S^-1 = Linv^T Linv gains, in every old column, the squares (grouped: the outer products) of
// the new rows only: O(k n^2) per child for k new variables over n old ones. ln|C_S| and
// sum ln C_jj are carried down the path; sum ln P_jj is one log of a running product (frexp-guarded).
//
// Two walkers:
//  - GeneralWalker: any unit sizes, individual or grouped Omega (bins and groups modes).
//  - FastWalker: one variable per unit, individual Omega (variables mode). The children of a node
//    are computed together (vectorised across siblings: B = Linv C_{S,c}, R = B^T Linv for every c
//    at once), and a run of leaf siblings is reduced without a log per multiplet: within the run
//    Omega = K - 1/2 ln x_c, so extremes and top-k candidates are found by comparing x_c.
// Work is split into balanced preorder rank ranges (chunks) over OpenMP threads; each chunk rebuilds
// its path's factors with the same extensions, then walks.
#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <atomic>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels.h"
#include "oinfo.h"
#include "oinfo_detail.h"
#include "oinfo_cpu.h"
#include "oinfo_linalg.h"

namespace grokinfo {

using detail::Cand;

bool multiplet_count(int32_t units, int32_t min_size, int32_t max_size, uint64_t* out) {
  uint64_t t = detail::binom_sum(units, min_size, max_size);
  if (out) *out = t;
  return t != detail::kSaturated;
}

namespace {

constexpr double kPivotTol = 1e-13;  // a Schur pivot below this fraction of the variance is singular
constexpr double kLn2 = 0.69314718055994530942;

// ln(prod x[i]) with one log, renormalising the running product by frexp every 8 factors.
inline double log_prod(const double* x, int64_t n) {
  double m = 1.0;
  int64_t e = 0;
  int64_t i = 0;
  while (i < n) {
    int64_t end = std::min(n, i + 8);
    for (; i < end; ++i) m *= x[i];
    int ex;
    m = std::frexp(m, &ex);
    e += ex;
  }
  return std::log(m) + static_cast<double>(e) * kLn2;
}

// One problem: a covariance, its units and its sizes.
struct Item {
  const double* C = nullptr;
  int64_t D = 0;
  const Units* units = nullptr;
  int32_t mind = 2, maxd = 3;
  // derived
  int32_t U = 0;
  int32_t maxvars = 0;
  int32_t maxunit = 0;
  bool fast = false;
  std::vector<double> lnCunit;   // individual: sum_j ln C_jj over the unit; grouped: ln|C_uu|
  std::vector<double> Cu;        // fast path: compact U x U covariance of the units' variables
  uint64_t nodes = 0;
  int64_t index = -1;            // batch index named in messages (-1: batch of one)
  // General walker: units are walked in descending size (big units early in the preorder keep the
  // parents of expensive extensions small); perm maps internal -> caller's unit index.
  std::vector<int32_t> perm;
  Units own;
};

// "" or " (covariance #b)" for messages.
std::string label(const Item& it) { return it.index >= 0 ? " (covariance #" + std::to_string(it.index) + ")" : ""; }

// Caller's unit indices (ascending) of an internal path.
void external_members(const Item& it, const int32_t* path, int32_t depth, int32_t* out) {
  for (int32_t i = 0; i < depth; ++i) out[i] = it.perm.empty() ? path[i] : it.perm[path[i]];
  std::sort(out, out + depth);
}

struct Acc {
  std::vector<uint64_t> count;
  std::vector<Cand> mn, mx;
  detail::TopK<true> syn;
  detail::TopK<false> red;
  void init(int32_t maxd, int32_t k) {
    count.assign(static_cast<size_t>(maxd) + 1, 0);
    mn.assign(static_cast<size_t>(maxd) + 1, Cand());
    mx.assign(static_cast<size_t>(maxd) + 1, Cand());
    syn.k = k;
    red.k = k;
    syn.heap.clear();
    red.heap.clear();
    syn.heap.reserve(static_cast<size_t>(k));
    red.heap.reserve(static_cast<size_t>(k));
  }
  inline void add(int32_t s, double v, uint64_t rank) {
    Cand c{v, rank};
    if (detail::less_min(c, mn[s])) mn[s] = c;
    if (detail::greater_max(c, mx[s])) mx[s] = c;
    syn.push(c);
    red.push(c);
  }
  void merge(const Acc& o) {
    for (size_t s = 0; s < count.size(); ++s) {
      count[s] += o.count[s];
      if (detail::less_min(o.mn[s], mn[s])) mn[s] = o.mn[s];
      if (detail::greater_max(o.mx[s], mx[s])) mx[s] = o.mx[s];
    }
    syn.merge(o.syn);
    red.merge(o.red);
  }
};

struct Common {
  const OInfoOptions* opt = nullptr;
  std::vector<double> bias;  // b(d) table, empty when off
  std::FILE* stream = nullptr;
  std::mutex stream_mu;
  std::atomic<bool> write_failed{false};  // a short fwrite (disk full, I/O error): the walk stops
  int write_errno = 0;
  const Control* ctl = nullptr;
};

// Inside a chunk, every kPollEvery walker steps: cancellation, a failed stream write, and progress
// (chunks of a huge lattice can run for hours, so the chunk boundary alone is not enough).
constexpr uint32_t kPollEvery = 4096;

// Polled by the walkers: CANCELLED or IO (the stream could not be written) stops the walk.
Status poll(Common& cm, const Acc& acc, uint64_t& reported) {
  uint64_t n = 0;
  for (uint64_t c : acc.count) n += c;
  if (cm.ctl && n > reported) cm.ctl->add_done(static_cast<double>(n - reported));
  reported = n;
  if (cm.ctl && cm.ctl->cancelled()) return Status::Error(Code::CANCELLED, "cancelled");
  if (cm.write_failed.load(std::memory_order_relaxed)) return Status::Error(Code::IO, "write failed");
  return Status::Ok();
}

std::string units_list(const int32_t* path, int32_t depth) {
  std::string s = "[";
  for (int32_t i = 0; i < depth; ++i) s += (i ? ", " : "") + std::to_string(path[i]);
  return s + "]";
}

Status singular(const Item& it, const int32_t* ipath, int32_t depth) {
  int32_t path[1024];
  external_members(it, ipath, depth, path);
  return Status::Error(Code::INVALID_DATA, "singular covariance" + label(it) +
                                               ": non-positive pivot in the multiplet of units " +
                                               units_list(path, depth) +
                                               " (duplicate, constant or collinear variables)");
}

// Per-thread stream buffer: whole lines, flushed in large blocks under the mutex.
struct StreamBuf {
  Common* cm = nullptr;
  const Item* item = nullptr;
  std::string buf;
  int32_t ext[1024];
  void line(const int32_t* ipath, int32_t depth, double v) {
    external_members(*item, ipath, depth, ext);
    const int32_t* path = ext;
    buf += "{\"members\":[";
    char tmp[32];
    for (int32_t i = 0; i < depth; ++i) {
      if (i) buf += ',';
      auto r = std::to_chars(tmp, tmp + sizeof(tmp), path[i]);
      buf.append(tmp, r.ptr);
    }
    buf += "],\"oinfo\":";
    auto r = std::to_chars(tmp, tmp + sizeof(tmp), v);
    buf.append(tmp, r.ptr);
    buf += "}\n";
    if (buf.size() > (1u << 20)) flush();
  }
  void flush() {
    if (buf.empty() || !cm->stream) return;
    std::lock_guard<std::mutex> g(cm->stream_mu);
    if (!cm->write_failed.load(std::memory_order_relaxed) &&
        std::fwrite(buf.data(), 1, buf.size(), cm->stream) != buf.size()) {
      cm->write_errno = errno;
      cm->write_failed = true;
    }
    buf.clear();
  }
};

// ------------------------------------------------------------------------------------------------
class GeneralWalker {
 public:
  // Binds the walker to a problem; buffers grow to it (a persistent walker allocates nothing once warm).
  void reset(const Item& it, Common& cm) {
    itp_ = &it;
    cmp_ = &cm;
    kt_ = &kernels::table();
    reported_ = 0;
    U_ = it.U;
    M_ = it.maxvars;
    K_ = it.maxunit;
    const int32_t L = it.maxd + 1;
    cpu::grow(Linv_, static_cast<size_t>(M_) * M_ + linalg::kLowerPad);  // lower_tn reads past a row's end
    S_.assign(static_cast<size_t>(M_), 0);
    nv_.assign(L, 0);
    logdet_.assign(L, 0);
    sumC_.assign(L, 0);
    const size_t pcap = cm.opt->grouped ? static_cast<size_t>(M_) * K_ : static_cast<size_t>(M_);
    P_.assign(static_cast<size_t>(L) * pcap, 0.0);
    pstride_ = pcap;
    // Written before they are read: grown, not cleared.
    cpu::grow(Cx_, static_cast<size_t>(K_) * M_);
    cpu::grow(B_, static_cast<size_t>(K_) * M_);
    cpu::grow(R_, static_cast<size_t>(K_) * M_);
    cpu::grow(Lb_, static_cast<size_t>(K_) * K_);
    cpu::grow(W_, static_cast<size_t>(K_) * K_);
    cpu::grow(blk_, static_cast<size_t>(K_) * K_);
    cpu::grow(tmp_, static_cast<size_t>(K_));
    dims_.assign(L, 0);
  }

  uint64_t reported() const { return reported_; }

  Status run(uint64_t r0, uint64_t cnt, Acc& acc, StreamBuf* sb) {
    int32_t depth = detail::lattice_unrank(r0, U_, it().maxd, path_);
    for (int32_t d = 0; d + 1 < depth; ++d) {
      Status s = extend(d, path_[d]);
      if (!s.ok()) return s;
    }
    uint64_t rank = r0;
    const double scale = cm().opt->scale;
    uint32_t tick = 0;
    while (cnt > 0) {
      if (++tick == kPollEvery) {
        tick = 0;
        Status ps = poll(cm(), acc, reported_);
        if (!ps.ok()) return ps;
      }
      Status s = extend(depth - 1, path_[depth - 1]);
      if (!s.ok()) return s;
      if (depth >= it().mind) {
        double v = scale * (omega(depth) - correction(depth));
        acc.count[depth]++;
        acc.add(depth, v, rank);
        if (sb) sb->line(path_, depth, v);
      }
      ++rank;
      if (--cnt == 0) break;
      depth = detail::lattice_next(path_, depth, U_, it().maxd);
    }
    return Status::Ok();
  }

 private:
  double* Pd(int32_t d) { return P_.data() + static_cast<size_t>(d) * pstride_; }
  const Item& it() const { return *itp_; }
  Common& cm() const { return *cmp_; }

  // State at depth d (d units in path_[0..d)) -> state at depth d + 1 with unit u.
  Status extend(int32_t d, int32_t u) {
    const double* C = it().C;
    const int64_t D = it().D;
    const int32_t n = nv_[d];
    const int32_t k = it().units->offsets[u + 1] - it().units->offsets[u];
    const int32_t* V = it().units->members.data() + it().units->offsets[u];
    const int32_t M = M_;
    double* Linv = Linv_.data();
    // Cx[a][j] = C[V_a, S_j]; B[a][i] = (Linv Cx_a)_i.
    for (int32_t a = 0; a < k; ++a) {
      const double* crow = C + static_cast<int64_t>(V[a]) * D;
      double* cx = Cx_.data() + static_cast<size_t>(a) * M;
      for (int32_t j = 0; j < n; ++j) cx[j] = crow[S_[j]];
    }
    // B = Linv Cx (the per-ISA lattice kernel, kernels.h: the same sums as linalg::dot).
    kt_->lower_mv(Linv, M, Cx_.data(), M, k, n, B_.data(), M);
    // Schur complement S = C_VV - B^T B (lower triangle, in Lb), then its Cholesky factor Lb in place,
    // column by column (right-looking): each element's sums are those of the row-by-row factorisation (the
    // dot product, then the Lb[a][c] Lb[b][c] terms in ascending c), but the updates of a column are
    // independent and vectorise where the row-by-row recurrence was one long chain. Every term here and
    // below is one explicit multiply-add (linalg::madd: fused where the CPU has FMA), not left to the
    // compiler's contraction, which had fused some of the row-by-row terms and not others.
    double* const Lb = Lb_.data();
    double* const col = tmp_.data();
    for (int32_t a = 0; a < k; ++a)
      for (int32_t b = 0; b <= a; ++b)
        Lb[a * K_ + b] = C[static_cast<int64_t>(V[a]) * D + V[b]] -
                         linalg::dot(B_.data() + static_cast<size_t>(a) * M, B_.data() + static_cast<size_t>(b) * M, n);
    double ld = 0;
    for (int32_t c = 0; c < k; ++c) {
      const double s = Lb[c * K_ + c];
      const double var = C[static_cast<int64_t>(V[c]) * D + V[c]];
      if (!(s > kPivotTol * var) || !std::isfinite(s)) {
        path_[d] = u;
        return singular(it(), path_, d + 1);
      }
      const double piv = std::sqrt(s);
      Lb[c * K_ + c] = piv;
      ld += std::log(s);
      for (int32_t a = c + 1; a < k; ++a) col[a] = Lb[a * K_ + c] = Lb[a * K_ + c] / piv;
      for (int32_t a = c + 1; a < k; ++a) {
        const double lac = col[a];
        double* la = Lb + a * K_;
        for (int32_t b = c + 1; b <= a; ++b) la[b] = linalg::madd(-lac, col[b], la[b]);
      }
    }
    // W = Lb^-1 (lower): row a's sums over c (ascending from b) for all b at once.
    for (int32_t a = 0; a < k; ++a) {
      const double waa = 1.0 / Lb[a * K_ + a];
      double* t = col;
      for (int32_t b = 0; b < a; ++b) t[b] = 0;
      for (int32_t c = 0; c < a; ++c) {
        const double lac = Lb[a * K_ + c];
        const double* wc = W_.data() + c * K_;
        for (int32_t b = 0; b <= c; ++b) t[b] = linalg::madd(lac, wc[b], t[b]);
      }
      double* wa = W_.data() + a * K_;
      for (int32_t b = 0; b < a; ++b) wa[b] = -t[b] * waa;
      wa[a] = waa;
    }
    // R[a] = B_a^T Linv (row vectors of length n).
    // R[a][j] = sum_{i = j..n-1} B[a][i] Linv[i][j], summed in ascending i from zero (the order of the
    // row-by-row axpy it replaces), in register blocks (the per-ISA lattice kernel).
    kt_->lower_tn(Linv, M, B_.data(), M, k, n, R_.data(), M);
    // New rows of Linv: [-W R, W], in blocks of 8 columns held in registers (each element summed over
    // b = 0..a in ascending order, as the row-by-row axpy did); individual mode: P's old columns gain the
    // squares of the new rows (in ascending a) in the same pass.
    const double* P0 = Pd(d);
    double* P1 = Pd(d + 1);
    const bool grouped = cm().opt->grouped;
    auto new_rows = [&]<int B>(int32_t j0) {
      double ps[B];
      if (!grouped)
        for (int t = 0; t < B; ++t) ps[t] = P0[j0 + t];
      for (int32_t a = 0; a < k; ++a) {
        double acc[B] = {};
        const double* wa = W_.data() + a * K_;
        for (int32_t b = 0; b <= a; ++b) {
          const double w = -wa[b];
          const double* r = R_.data() + static_cast<size_t>(b) * M + j0;
#pragma GCC unroll 8
          for (int t = 0; t < B; ++t) acc[t] = linalg::madd(w, r[t], acc[t]);
        }
        double* nr = Linv + static_cast<size_t>(n + a) * M + j0;
        for (int t = 0; t < B; ++t) nr[t] = acc[t];
        if (!grouped)
          for (int t = 0; t < B; ++t) ps[t] = linalg::madd(acc[t], acc[t], ps[t]);
      }
      if (!grouped)
        for (int t = 0; t < B; ++t) P1[j0 + t] = ps[t];
    };
    int32_t j0 = 0;
    for (; j0 + 8 <= n; j0 += 8) new_rows.template operator()<8>(j0);
    for (; j0 < n; ++j0) new_rows.template operator()<1>(j0);
    for (int32_t a = 0; a < k; ++a) {
      double* nr = Linv + static_cast<size_t>(n + a) * M;
      for (int32_t b = 0; b <= a; ++b) nr[n + b] = W_[a * K_ + b];
      S_[n + a] = V[a];
    }
    nv_[d + 1] = n + k;
    logdet_[d + 1] = logdet_[d] + ld;
    sumC_[d + 1] = sumC_[d] + it().lnCunit[u];
    dims_[d] = k;
    path_[d] = u;
    if (!grouped) {
      for (int32_t b = 0; b < k; ++b) {
        double s = 0;
        for (int32_t a = b; a < k; ++a) s += W_[a * K_ + b] * W_[a * K_ + b];
        P1[n + b] = s;
      }
    } else {
      // Blocks P_gg of the units on the path, stored one after another (d_g^2 each).
      size_t off = 0;
      int32_t vo = 0;
      for (int32_t g = 0; g < d; ++g) {
        const int32_t dg = dims_[g];
        for (int32_t p = 0; p < dg; ++p)
          for (int32_t q = 0; q < dg; ++q) {
            double s = P0[off + p * dg + q];
            for (int32_t a = 0; a < k; ++a) {
              const double* nr = Linv + static_cast<size_t>(n + a) * M;
              s += nr[vo + p] * nr[vo + q];
            }
            P1[off + p * dg + q] = s;
          }
        off += static_cast<size_t>(dg) * dg;
        vo += dg;
      }
      for (int32_t p = 0; p < k; ++p)
        for (int32_t q = 0; q < k; ++q) {
          double s = 0;
          for (int32_t a = std::max(p, q); a < k; ++a) s += W_[a * K_ + p] * W_[a * K_ + q];
          P1[off + p * k + q] = s;
        }
    }
    return Status::Ok();
  }

  double omega(int32_t depth) {
    const double* P = Pd(depth);
    if (!cm().opt->grouped) return -logdet_[depth] + 0.5 * sumC_[depth] - 0.5 * log_prod(P, nv_[depth]);
    double lp = 0;
    size_t off = 0;
    for (int32_t g = 0; g < depth; ++g) {
      const int32_t dg = dims_[g];
      lp += logdet_spd(P + off, dg);
      off += static_cast<size_t>(dg) * dg;
    }
    return -logdet_[depth] + 0.5 * sumC_[depth] - 0.5 * lp;
  }

  double logdet_spd(const double* A, int32_t m) {
    if (m == 1) return std::log(A[0]);
    double* L = blk_.data();
    double ld = 0;
    for (int32_t a = 0; a < m; ++a)
      for (int32_t b = 0; b <= a; ++b) {
        double s = A[a * m + b];
        for (int32_t c = 0; c < b; ++c) s -= L[a * m + c] * L[b * m + c];
        if (a == b) {
          L[a * m + a] = std::sqrt(s);
          ld += std::log(s);
        } else {
          L[a * m + b] = s / L[b * m + b];
        }
      }
    return ld;
  }

  double correction(int32_t depth) const {
    if (cm().bias.empty()) return 0;
    if (!cm().opt->grouped) return detail::bias_individual(cm().bias.data(), nv_[depth]);
    return detail::bias_grouped(cm().bias.data(), dims_.data(), depth);
  }

  const Item* itp_ = nullptr;
  Common* cmp_ = nullptr;
  const kernels::Table* kt_ = nullptr;
  uint64_t reported_ = 0;  // multiplets of this chunk already added to the progress
  int32_t U_ = 0, M_ = 0, K_ = 0;
  std::vector<int32_t> S_, nv_, dims_;
  std::vector<double> Linv_, logdet_, sumC_, P_, Cx_, B_, R_, Lb_, W_, blk_, tmp_;
  size_t pstride_ = 0;
  int32_t path_[1024];
};

// ------------------------------------------------------------------------------------------------
class FastWalker {
 public:
  void reset(const Item& it, Common& cm) {
    itp_ = &it;
    cmp_ = &cm;
    reported_ = 0;
    U_ = it.U;
    L_ = it.maxd;
    const size_t lv = static_cast<size_t>(L_) + 1;
    Cu_ = it.Cu.data();
    Linv_.assign(static_cast<size_t>(L_) * L_, 0.0);
    P_.assign(lv * L_, 0.0);
    K_.assign(lv, 0.0);
    B_.assign(static_cast<size_t>(L_) * U_, 0.0);
    R_.assign(lv * L_ * U_, 0.0);
    lb2_.assign(lv * U_, 0.0);
    x_.assign(static_cast<size_t>(U_), 0.0);
    inv_.assign(static_cast<size_t>(U_), 0.0);
    diag_.resize(static_cast<size_t>(U_));
    invdiag_.resize(static_cast<size_t>(U_));
    lndiag_.resize(static_cast<size_t>(U_));
    for (int32_t c = 0; c < U_; ++c) {
      diag_[c] = Cu_[static_cast<size_t>(c) * U_ + c];
      invdiag_[c] = 1.0 / diag_[c];
      lndiag_[c] = std::log(diag_[c]);
      lb2_[c] = diag_[c];  // level 0: the root's children are single units
    }
  }

  uint64_t reported() const { return reported_; }

  Status run(uint64_t r0, uint64_t cnt, Acc& acc, StreamBuf* sb) {
    int32_t depth = detail::lattice_unrank(r0, U_, L_, path_);
    for (int32_t d = 0; d + 1 < depth; ++d) {
      Status s = visit(d, path_[d], 0, nullptr, nullptr, true);
      if (!s.ok()) return s;
    }
    uint64_t rank = r0;
    uint32_t tick = 0;
    while (cnt > 0) {
      if (++tick == kPollEvery) {
        tick = 0;
        Status ps = poll(cm(), acc, reported_);
        if (!ps.ok()) return ps;
      }
      const int32_t d = depth - 1;
      const int32_t c = path_[d];
      if (depth == L_) {
        const int32_t cend = static_cast<int32_t>(std::min<uint64_t>(static_cast<uint64_t>(U_ - 1), c + cnt - 1));
        Status s = leaf_run(d, c, cend, rank, acc, sb);
        if (!s.ok()) return s;
        const uint64_t n = static_cast<uint64_t>(cend - c + 1);
        rank += n;
        cnt -= n;
        path_[d] = cend;
      } else {
        Status s = visit(d, c, rank, &acc, sb, c < U_ - 1);
        if (!s.ok()) return s;
        ++rank;
        --cnt;
      }
      if (cnt == 0) break;
      depth = detail::lattice_next(path_, depth, U_, L_);
    }
    return Status::Ok();
  }

 private:
  double* Rd(int32_t d) { return R_.data() + static_cast<size_t>(d) * L_ * U_; }
  const Item& it() const { return *itp_; }
  Common& cm() const { return *cmp_; }
  double* Pd(int32_t d) { return P_.data() + static_cast<size_t>(d) * L_; }
  double* lb2d(int32_t d) { return lb2_.data() + static_cast<size_t>(d) * U_; }

  // The level-(d+1) quantities of the children c' > c of the node just stored at depth d + 1:
  // B row d (B[i][c'] = (Linv C_{S,c'})_i depends only on path[0..i], so rows are shared by levels),
  // R_{d+1} = R_d + Linv[d]^T B[d] (R = B^T Linv), lb2_{d+1} = lb2_d - B[d]^2; O(d (U - c)).
  void children(int32_t d, int32_t c) {
    const int32_t c0 = c + 1, m = U_ - c0;
    if (m <= 0) return;
    const double* li = Linv_.data() + static_cast<size_t>(d) * L_;
    double* Bd = B_.data() + static_cast<size_t>(d) * U_ + c0;
    std::fill_n(Bd, m, 0.0);
    for (int32_t j = 0; j <= d; ++j) linalg::axpy(li[j], Cu_ + static_cast<size_t>(path_[j]) * U_ + c0, Bd, m);
    const double* R0 = Rd(d);
    double* R1 = Rd(d + 1);
    for (int32_t j = 0; j < d; ++j) {
      const double* a = R0 + static_cast<size_t>(j) * U_ + c0;
      double* o = R1 + static_cast<size_t>(j) * U_ + c0;
      const double l = li[j];
      for (int32_t t = 0; t < m; ++t) o[t] = a[t] + l * Bd[t];
    }
    {
      double* o = R1 + static_cast<size_t>(d) * U_ + c0;
      const double l = li[d];
      for (int32_t t = 0; t < m; ++t) o[t] = l * Bd[t];
    }
    const double* l0 = lb2d(d) + c0;
    double* l1 = lb2d(d + 1) + c0;
    for (int32_t t = 0; t < m; ++t) l1[t] = l0[t] - Bd[t] * Bd[t];
  }

  double value_from_x(double Kd, double x, int32_t d, int32_t c, int32_t size) {
    double lnx;
    if (x >= DBL_MIN && x <= DBL_MAX) {
      lnx = std::log(x);
    } else {  // the running product left the normal range: sum the logs instead
      const double* P = Pd(d);
      const double* R = Rd(d);
      const double l2 = lb2d(d)[c];
      lnx = std::log(l2) - lndiag_[c];
      for (int32_t j = 0; j < d; ++j) {
        double r = R[static_cast<size_t>(j) * U_ + c];
        lnx += std::log(P[j] + r * r / l2);
      }
    }
    double corr = cm().bias.empty() ? 0.0 : detail::bias_individual(cm().bias.data(), size);
    return cm().opt->scale * (Kd - 0.5 * lnx - corr);
  }

  // Node at depth d + 1 ending with unit c; `store` writes its state for its children.
  Status visit(int32_t d, int32_t c, uint64_t rank, Acc* acc, StreamBuf* sb, bool store) {
    const double l2 = lb2d(d)[c];
    path_[d] = c;
    if (!(l2 > kPivotTol * diag_[c]) || !std::isfinite(l2)) return singular(it(), path_, d + 1);
    const double inv = 1.0 / l2;
    const double* P = Pd(d);
    const double* R = Rd(d);
    const int32_t dd = d + 1;
    double x = l2 * invdiag_[c];
    if (store) {
      const double il = std::sqrt(inv);
      double* row = Linv_.data() + static_cast<size_t>(d) * L_;
      double* Pn = Pd(dd);
      for (int32_t j = 0; j < d; ++j) {
        double r = R[static_cast<size_t>(j) * U_ + c];
        row[j] = -r * il;
        Pn[j] = P[j] + r * r * inv;
        x *= Pn[j];
      }
      row[d] = il;
      Pn[d] = inv;
      K_[dd] = K_[d] - std::log(l2) + 0.5 * lndiag_[c];
      children(d, c);
    } else {
      for (int32_t j = 0; j < d; ++j) {
        double r = R[static_cast<size_t>(j) * U_ + c];
        x *= P[j] + r * r * inv;
      }
    }
    if (acc && dd >= it().mind) {
      double v = value_from_x(K_[d], x, d, c, dd);
      acc->count[dd]++;
      acc->add(dd, v, rank);
      if (sb) sb->line(path_, dd, v);
    }
    return Status::Ok();
  }

  // Leaf siblings c0..c1 (depth d + 1 == maxd), ranks rank0 + (c - c0).
  Status leaf_run(int32_t d, int32_t c0, int32_t c1, uint64_t rank0, Acc& acc, StreamBuf* sb) {
    const int32_t dd = d + 1;
    const double* lb2 = lb2d(d);
    for (int32_t c = c0; c <= c1; ++c)
      if (!(lb2[c] > kPivotTol * diag_[c]) || !std::isfinite(lb2[c])) {
        path_[d] = c;
        return singular(it(), path_, dd);
      }
    if (dd < it().mind) return Status::Ok();
    double* x = x_.data();
    double* inv = inv_.data();
    for (int32_t c = c0; c <= c1; ++c) {
      inv[c] = 1.0 / lb2[c];
      x[c] = lb2[c] * invdiag_[c];
    }
    const double* P = Pd(d);
    const double* R = Rd(d);
    for (int32_t j = 0; j < d; ++j) {
      const double p = P[j];
      const double* Rj = R + static_cast<size_t>(j) * U_;
      for (int32_t c = c0; c <= c1; ++c) x[c] *= p + Rj[c] * Rj[c] * inv[c];
    }
    acc.count[dd] += static_cast<uint64_t>(c1 - c0 + 1);
    const double Kd = K_[d];
    auto eval = [&](int32_t c) {
      path_[d] = c;
      double v = value_from_x(Kd, x[c], d, c, dd);
      acc.add(dd, v, rank0 + static_cast<uint64_t>(c - c0));
      if (sb) sb->line(path_, dd, v);
    };
    bool abnormal = false;
    for (int32_t c = c0; c <= c1; ++c) abnormal |= !(x[c] >= DBL_MIN && x[c] <= DBL_MAX);
    if (sb || abnormal) {
      for (int32_t c = c0; c <= c1; ++c) eval(c);
      return Status::Ok();
    }
    // Omega decreases with x: the run's minimum is at the largest x, its maximum at the smallest.
    int32_t cmax = c0, cmin = c0;
    for (int32_t c = c0 + 1; c <= c1; ++c) {
      if (x[c] > x[cmax]) cmax = c;
      if (x[c] < x[cmin]) cmin = c;
    }
    eval(cmax);
    if (cmin != cmax) eval(cmin);
    if (acc.syn.k > 0) {
      // Candidates that may enter the kept top-k: Omega <= t  <=>  x >= exp(2 (K - corr - t/scale)).
      const double corr = cm().bias.empty() ? 0.0 : detail::bias_individual(cm().bias.data(), dd);
      const double sc = cm().opt->scale;
      auto xs_of = [&]() { return acc.syn.full() ? std::exp(2.0 * (Kd - corr - acc.syn.threshold() / sc)) * (1 - 1e-9) : 0.0; };
      auto xr_of = [&]() { return acc.red.full() ? std::exp(2.0 * (Kd - corr - acc.red.threshold() / sc)) * (1 + 1e-9) : HUGE_VAL; };
      double xs = xs_of(), xr = xr_of();
      for (int32_t c = c0; c <= c1; ++c) {
        if ((x[c] >= xs || x[c] <= xr) && c != cmax && c != cmin) {
          eval(c);
          xs = xs_of();
          xr = xr_of();
        }
      }
    }
    return Status::Ok();
  }

  const Item* itp_ = nullptr;
  Common* cmp_ = nullptr;
  uint64_t reported_ = 0;  // multiplets of this chunk already added to the progress
  int32_t U_ = 0, L_ = 0;
  const double* Cu_ = nullptr;
  std::vector<double> Linv_, P_, K_, B_, R_, lb2_, x_, inv_, diag_, invdiag_, lndiag_;
  int32_t path_[1024];
};

// ------------------------------------------------------------------------------------------------
// Scratch of prepare (single-threaded).
struct PrepScratch {
  std::vector<int32_t> sizes, order;
  std::vector<double> L;
};

// The derived quantities of one problem (its arguments were checked by check_multiplets, or are valid
// by construction on the measurement path), and the data checks (variances, singular units).
Status prepare(Item& it, const OInfoOptions& opt, int64_t b, PrepScratch& ps) {
  const Units& un = *it.units;
  it.U = un.count;
  it.index = b;
  it.perm.clear();
  std::vector<int32_t>& sizes = ps.sizes;
  sizes.clear();
  it.maxunit = 0;
  for (int32_t u = 0; u < un.count; ++u) {
    sizes.push_back(un.offsets[u + 1] - un.offsets[u]);
    it.maxunit = std::max(it.maxunit, sizes.back());
  }
  std::sort(sizes.rbegin(), sizes.rend());
  it.maxvars = 0;
  for (int32_t i = 0; i < it.maxd; ++i) it.maxvars += sizes[i];
  if (opt.grouped || it.maxunit > 1) {
    // Descending size, ties in the caller's order (a stable order without stable_sort's buffer).
    std::vector<int32_t>& order = ps.order;
    order.resize(static_cast<size_t>(un.count));
    for (int32_t u = 0; u < un.count; ++u) order[u] = u;
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      const int32_t sa = un.offsets[a + 1] - un.offsets[a], sb = un.offsets[b + 1] - un.offsets[b];
      return sa > sb || (sa == sb && a < b);
    });
    it.perm.assign(order.begin(), order.end());
    it.own.count = un.count;
    it.own.offsets.assign(1, 0);
    it.own.members.clear();
    for (int32_t u : order) {
      it.own.members.insert(it.own.members.end(), un.members.begin() + un.offsets[u], un.members.begin() + un.offsets[u + 1]);
      it.own.offsets.push_back(static_cast<int32_t>(it.own.members.size()));
    }
    it.units = &it.own;
  }
  const Units& unp = *it.units;  // (permuted)
  // Diagonal, per-unit constants.
  const double* C = it.C;
  it.lnCunit.assign(static_cast<size_t>(unp.count), 0.0);
  for (int32_t u = 0; u < unp.count; ++u) {
    const int32_t* V = unp.members.data() + unp.offsets[u];
    const int32_t k = unp.offsets[u + 1] - unp.offsets[u];
    for (int32_t a = 0; a < k; ++a) {
      double c = C[static_cast<int64_t>(V[a]) * it.D + V[a]];
      if (!(c > 0) || !std::isfinite(c))
        return Status::Error(Code::INVALID_DATA, "covariance" + label(it) + ": variable " + std::to_string(V[a]) + " (unit " +
                                                     std::to_string(it.perm.empty() ? u : it.perm[u]) + ") has variance " + std::to_string(c) +
                                                     " (constant or invalid column)");
    }
    if (!opt.grouped) {
      double s = 0;
      for (int32_t a = 0; a < k; ++a) s += std::log(C[static_cast<int64_t>(V[a]) * it.D + V[a]]);
      it.lnCunit[u] = s;
    } else {
      std::vector<double>& L = ps.L;
      L.assign(static_cast<size_t>(k) * k, 0.0);
      double ld = 0;
      for (int32_t a = 0; a < k; ++a)
        for (int32_t bb = 0; bb <= a; ++bb) {
          double s = C[static_cast<int64_t>(V[a]) * it.D + V[bb]];
          for (int32_t c = 0; c < bb; ++c) s -= L[a * k + c] * L[bb * k + c];
          if (a == bb) {
            if (!(s > kPivotTol * C[static_cast<int64_t>(V[a]) * it.D + V[a]]))
              return Status::Error(Code::INVALID_DATA, "singular covariance" + label(it) + " within unit " + std::to_string(it.perm.empty() ? u : it.perm[u]));
            L[a * k + a] = std::sqrt(s);
            ld += std::log(s);
          } else {
            L[a * k + bb] = s / L[bb * k + bb];
          }
        }
      it.lnCunit[u] = ld;
    }
  }
  it.fast = !opt.grouped && it.maxunit == 1;
  if (it.fast) {
    const int32_t U = unp.count;
    it.Cu.resize(static_cast<size_t>(U) * U);
    for (int32_t a = 0; a < U; ++a)
      for (int32_t c = 0; c < U; ++c) it.Cu[static_cast<size_t>(a) * U + c] = C[static_cast<int64_t>(unp.members[a]) * it.D + unp.members[c]];
  }
  it.nodes = detail::lattice_nodes(it.U, it.maxd);
  if (it.nodes == detail::kSaturated) return Status::Error(Code::INVALID_ARGUMENT, "sizes: too many multiplets (overflow)");
  return Status::Ok();
}

struct Task {
  int32_t item;
  uint64_t r0, r1;
};

// What one OpenMP thread keeps between calls.
struct ThreadState {
  Acc acc;
  GeneralWalker general;
  FastWalker fast;
  StreamBuf sb;
};

void to_multiplet(const Item& it, const Cand& c, Multiplet& m, int32_t* path) {
  m.value = c.value;
  if (!c.valid()) {
    m.members.clear();
    return;
  }
  const int32_t depth = detail::lattice_unrank(c.rank, it.U, it.maxd, path);
  m.members.resize(static_cast<size_t>(depth));
  external_members(it, path, depth, m.members.data());
}

}  // namespace

// One checkpoint's bins stage (dead columns, Ward bins, copula covariance): the scratch of one thread.
struct BinsScratch {
  cpu::WardScratch ward;
  cpu::CopulaScratch copula;
  std::vector<uint8_t> alive;
  std::vector<int32_t> alive_idx, fill, sizes;
  std::vector<float> Xa32;
  std::vector<double> Xa64;
};

// The persistent scratch of one engine instance (oinfo_cpu.h). Vectors only grow.
struct cpu::EngineScratch {
  // multiplets
  std::vector<Item> items;
  PrepScratch prep;
  Common cm;
  std::vector<Task> tasks;
  std::vector<Acc> global;
  std::vector<ThreadState> thr;
  std::vector<int32_t> path;
  std::vector<Cand> sorted;
  // measurement (bins) pipeline: one scratch per thread measuring checkpoints side by side, and per
  // checkpoint its covariance, bins, alive-column count, status and whether it was measured
  std::vector<BinsScratch> bins;
  std::vector<std::vector<double>> covs;
  std::vector<Units> units;
  std::vector<int64_t> item_of, item_D;
  std::vector<Status> item_status;
  std::vector<uint8_t> item_measured;
  std::vector<OInfoResult> out;
  // per-item INVALID_DATA (run_engine with item_errors): the message, and a flag the walkers poll
  std::vector<std::string> item_err;
  std::unique_ptr<std::atomic<uint8_t>[]> item_bad;
  size_t item_bad_cap = 0;
};

cpu::EngineScratch* cpu::new_scratch() { return new EngineScratch(); }
void cpu::delete_scratch(EngineScratch* s) { delete s; }

namespace {

// A result with nothing measured: count 0, no extremes (capacity kept).
void clear_result(OInfoResult& r) {
  r.count = 0;
  r.by_size.clear();
  r.min = Multiplet();
  r.max = Multiplet();
  r.top_synergy.clear();
  r.top_redundancy.clear();
}

// Runs the lattice walk over items[0, n) (already set up: C, D, units, mind, maxd).
// item_errors: an INVALID_DATA of one item (its preparation or its walk) is kept in ws.item_err[item] and
// the item's remaining chunks are skipped; the other items are measured. Otherwise it fails the call.
Status run_engine(cpu::EngineScratch& ws, size_t n, const OInfoOptions& opt, std::vector<OInfoResult>& results,
                  const Control& ctl, bool force_general = false, bool item_errors = false) {
  Item* const items = ws.items.data();
  Common& cm = ws.cm;
  cm.opt = &opt;
  cm.ctl = &ctl;
  cm.stream = nullptr;
  cm.write_failed = false;
  cm.write_errno = 0;
  int32_t maxvars = 0;
  uint64_t total = 0;
  if (ws.item_err.size() < n) ws.item_err.resize(n);
  if (ws.item_bad_cap < n) {
    ws.item_bad.reset(new std::atomic<uint8_t>[n]);
    ws.item_bad_cap = n;
  }
  for (size_t b = 0; b < n; ++b) {
    ws.item_err[b].clear();
    ws.item_bad[b].store(0, std::memory_order_relaxed);
  }
  for (size_t b = 0; b < n; ++b) {
    Status s = prepare(items[b], opt, n > 1 ? static_cast<int64_t>(b) : -1, ws.prep);
    if (!s.ok()) {
      if (!(item_errors && s.code == Code::INVALID_DATA)) return s;
      ws.item_err[b] = s.message;
      ws.item_bad[b].store(1, std::memory_order_relaxed);
      items[b].nodes = 0;  // no chunks
    }
    if (force_general) items[b].fast = false;
    maxvars = std::max(maxvars, items[b].maxvars);
    if (ws.item_bad[b].load(std::memory_order_relaxed)) continue;
    uint64_t m = 0;
    multiplet_count(items[b].U, items[b].mind, items[b].maxd, &m);
    total += m;
  }
  cm.bias.clear();
  if (opt.bias_samples > 0) {
    if (opt.bias_samples <= maxvars)
      return Status::Error(Code::INVALID_ARGUMENT, "bias correction: needs more samples (" + std::to_string(opt.bias_samples) +
                                                       ") than variables in a multiplet (" + std::to_string(maxvars) + ")");
    detail::bias_table_into(opt.bias_samples, maxvars, cm.bias);
  }
  if (opt.stream_path) {
    cm.stream = std::fopen(opt.stream_path, "wb");
    if (!cm.stream) return Status::Error(Code::IO, std::string("could not open ") + opt.stream_path + " for writing");
  }
  ctl.set_total(static_cast<double>(total));
  const int nt = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  // Chunks: balanced preorder rank ranges of each item.
  std::vector<Task>& tasks = ws.tasks;
  tasks.clear();
  for (size_t b = 0; b < n; ++b) {
    const uint64_t T = items[b].nodes;
    const uint64_t per = items[b].fast ? 256 : 32;
    uint64_t nch = std::max<uint64_t>(1, std::min<uint64_t>(T / per, static_cast<uint64_t>(nt) * (items[b].fast ? 64 : 8)));
    for (uint64_t i = 0; i < nch; ++i) {
      uint64_t r0 = static_cast<uint64_t>(static_cast<unsigned __int128>(T) * i / nch);
      uint64_t r1 = static_cast<uint64_t>(static_cast<unsigned __int128>(T) * (i + 1) / nch);
      if (r1 > r0) tasks.push_back({static_cast<int32_t>(b), r0, r1});
    }
  }
  if (ws.global.size() < n) ws.global.resize(n);
  for (size_t b = 0; b < n; ++b) ws.global[b].init(items[b].maxd, opt.top_k);
  if (ws.thr.size() < static_cast<size_t>(nt)) ws.thr.resize(static_cast<size_t>(nt));
  std::mutex mu;
  Status first = Status::Ok();
  std::atomic<bool> stop{false};
#pragma omp parallel num_threads(nt)
  {
    ThreadState& ts = ws.thr[omp_get_thread_num()];
    StreamBuf& sb = ts.sb;
    sb.cm = &cm;
    Acc& acc = ts.acc;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < static_cast<int64_t>(tasks.size()); ++t) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (ctl.cancelled()) {
        std::lock_guard<std::mutex> g(mu);
        if (first.ok()) first = Status::Error(Code::CANCELLED, "cancelled");
        stop = true;
        continue;
      }
      const Task& task = tasks[t];
      if (item_errors && ws.item_bad[task.item].load(std::memory_order_relaxed)) continue;
      const Item& it = items[task.item];
      acc.init(it.maxd, opt.top_k);
      sb.item = &it;
      Status s;
      uint64_t reported = 0;
      if (it.fast) {
        ts.fast.reset(it, cm);
        s = ts.fast.run(task.r0, task.r1 - task.r0, acc, cm.stream ? &sb : nullptr);
        reported = ts.fast.reported();
      } else {
        ts.general.reset(it, cm);
        s = ts.general.run(task.r0, task.r1 - task.r0, acc, cm.stream ? &sb : nullptr);
        reported = ts.general.reported();
      }
      std::lock_guard<std::mutex> g(mu);
      if (!s.ok() && item_errors && s.code == Code::INVALID_DATA) {
        // this item is not measured (its first message is kept); the others go on
        if (!ws.item_bad[task.item].exchange(1)) ws.item_err[task.item] = s.message;
        ctl.add_done(static_cast<double>(reported));
        continue;
      }
      if (!s.ok()) {
        // a real error wins over the CANCELLED / IO stops it causes in the other threads
        if (first.ok() || (first.code == Code::CANCELLED && s.code != Code::CANCELLED) || (first.code == Code::IO && s.code != Code::IO && s.code != Code::CANCELLED)) first = s;
        stop = true;
        continue;
      }
      ws.global[task.item].merge(acc);
      uint64_t cnt = 0;
      for (uint64_t c : acc.count) cnt += c;
      ctl.add_done(static_cast<double>(cnt - reported));
    }
    sb.flush();
  }
  if (cm.stream) {
    const bool bad = std::fclose(cm.stream) != 0;
    cm.stream = nullptr;
    if (bad && !cm.write_failed) cm.write_errno = errno;
    if ((bad || cm.write_failed) && (first.ok() || first.code == Code::IO))
      first = Status::Error(Code::IO, std::string("could not write ") + opt.stream_path +
                                          (cm.write_errno ? std::string(": ") + std::strerror(cm.write_errno) : std::string()));
  }
  if (!first.ok()) return first;
  // Results: ranks -> members, written into the caller's vectors (their capacity is reused).
  results.resize(n);
  for (size_t b = 0; b < n; ++b) {
    const Item& it = items[b];
    const Acc& a = ws.global[b];
    OInfoResult& r = results[b];
    if (ws.item_bad[b].load(std::memory_order_relaxed)) {
      clear_result(r);
      continue;
    }
    cpu::grow(ws.path, static_cast<size_t>(it.maxd));
    int32_t* path = ws.path.data();
    Cand omin, omax;
    r.count = 0;
    r.by_size.resize(static_cast<size_t>(it.maxd - it.mind + 1));
    for (int32_t s = it.mind; s <= it.maxd; ++s) {
      SizeExtremes& e = r.by_size[static_cast<size_t>(s - it.mind)];
      e.size = s;
      e.count = a.count[s];
      to_multiplet(it, a.mn[s], e.min, path);
      to_multiplet(it, a.mx[s], e.max, path);
      r.count += a.count[s];
      if (detail::less_min(a.mn[s], omin)) omin = a.mn[s];
      if (detail::greater_max(a.mx[s], omax)) omax = a.mx[s];
    }
    to_multiplet(it, omin, r.min, path);
    to_multiplet(it, omax, r.max, path);
    a.syn.sorted_into(ws.sorted);
    r.top_synergy.resize(ws.sorted.size());
    for (size_t i = 0; i < ws.sorted.size(); ++i) to_multiplet(it, ws.sorted[i], r.top_synergy[i], path);
    a.red.sorted_into(ws.sorted);
    r.top_redundancy.resize(ws.sorted.size());
    for (size_t i = 0; i < ws.sorted.size(); ++i) to_multiplet(it, ws.sorted[i], r.top_redundancy[i], path);
  }
  return Status::Ok();
}

// One work item per covariance of the batch, all over the same units and sizes.
void batch_items(cpu::EngineScratch& ws, const double* cov, int64_t batch, int64_t D, const Units& units, const OInfoOptions& opt) {
  if (ws.items.size() < static_cast<size_t>(batch)) ws.items.resize(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    Item& it = ws.items[b];
    it.C = cov + b * D * D;
    it.D = D;
    it.units = &units;
    it.mind = opt.min_size;
    it.maxd = opt.max_size;
  }
}

// The bins pipeline of one matrix X (N x H, float32 or float64): dead (constant) columns excluded,
// Ward bins of the alive columns, copula covariance of the alive columns (compact), units = bins.
// Fills res.dead / res.labels, cov, un and *alive_count (with ws, one thread's scratch; `threads` for its
// stages); returns false in `measured` when fewer than 2 bins are possible (nothing to measure).
template <typename T>
Status bins_stage(BinsScratch& ws, std::vector<double>& cov, Units& un, int64_t* alive_count, const T* X, int64_t b, int64_t N,
                  int64_t H, const BinsOptions& opt, MeasureResult& res, bool* measured, const Control& ctl, int threads) {
  *measured = false;
  if (const int64_t i = cpu::first_nonfinite(X, N * H); i >= 0)
      return Status::Error(Code::INVALID_DATA, std::string(opt.data_label) + " " + std::to_string(b) + ": non-finite activation at row " +
                                                   std::to_string(i / H) + ", column " + std::to_string(i % H));
  ws.alive.assign(static_cast<size_t>(H), 0);
  std::vector<int32_t>& alive_idx = ws.alive_idx;
  alive_idx.clear();
  alive_idx.reserve(static_cast<size_t>(H));
  for (int64_t h = 0; h < H; ++h) {
    const T v0 = X[h];
    for (int64_t t = 1; t < N; ++t)
      if (X[t * H + h] != v0) {
        ws.alive[h] = 1;
        break;
      }
    if (ws.alive[h]) alive_idx.push_back(static_cast<int32_t>(h));
  }
  const int64_t A = static_cast<int64_t>(alive_idx.size());
  *alive_count = A;
  res.dead = static_cast<int32_t>(H - A);
  res.labels.assign(static_cast<size_t>(H), -1);
  const int32_t bins = static_cast<int32_t>(std::min<int64_t>(opt.m.bins, A));
  if (bins < 2) return Status::Ok();  // nothing to measure: count 0
  Status s = cpu::ward_cluster(X, N, H, ws.alive.data(), bins, res.labels.data(), ctl, ws.ward, threads);
  if (!s.ok()) return s;
  // Units = bins over the compact alive columns.
  un.count = bins;
  un.offsets.assign(static_cast<size_t>(bins) + 1, 0);
  for (int64_t j = 0; j < A; ++j) un.offsets[res.labels[alive_idx[j]] + 1]++;
  for (int32_t u = 0; u < bins; ++u) un.offsets[u + 1] += un.offsets[u];
  un.members.resize(static_cast<size_t>(A));
  ws.fill.assign(un.offsets.begin(), un.offsets.end() - 1);
  for (int64_t j = 0; j < A; ++j) un.members[ws.fill[res.labels[alive_idx[j]]]++] = static_cast<int32_t>(j);
  if (opt.check_samples) {
    // Multiplets of up to max_size bins: the largest bins first.
    ws.sizes.clear();
    for (int32_t u = 0; u < bins; ++u) ws.sizes.push_back(un.offsets[u + 1] - un.offsets[u]);
    std::sort(ws.sizes.rbegin(), ws.sizes.rend());
    const int32_t maxd = opt.max_size > 0 ? std::min(opt.max_size, bins) : bins;
    int64_t maxvars = 0;
    for (int32_t i = 0; i < maxd; ++i) maxvars += ws.sizes[i];
    if (N <= maxvars + 1)
      return Status::Error(Code::INVALID_DATA, "too few samples: " + std::to_string(N) + " rows for multiplets of up to " +
                                                   std::to_string(maxvars) + " variables (need at least " + std::to_string(maxvars + 2) + ")");
  }
  // Copula covariance of the alive columns (compact).
  std::vector<T>& Xa = [&]() -> std::vector<T>& {
    if constexpr (std::is_same_v<T, float>) return ws.Xa32;
    else return ws.Xa64;
  }();
  Xa.resize(static_cast<size_t>(N * A));
  for (int64_t t = 0; t < N; ++t)
    for (int64_t j = 0; j < A; ++j) Xa[t * A + j] = X[t * H + alive_idx[j]];
  cpu::grow(cov, static_cast<size_t>(A * A));
  s = cpu::copula_covariance(Xa.data(), N, A, opt.m.ties, opt.m.seed, cov.data(), ctl, ws.copula, threads);
  if (!s.ok()) return s;
  *measured = true;
  return Status::Ok();
}

template <typename T>
Status measure_impl(cpu::EngineScratch& ws, const T* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                    std::vector<MeasureResult>& results, const Control& ctl) {
  results.resize(static_cast<size_t>(batch));
  if (ws.covs.size() < static_cast<size_t>(batch)) ws.covs.resize(static_cast<size_t>(batch));
  if (ws.units.size() < static_cast<size_t>(batch)) ws.units.resize(static_cast<size_t>(batch));
  ws.item_of.assign(static_cast<size_t>(batch), -1);
  ws.item_D.assign(static_cast<size_t>(batch), 0);
  ws.item_measured.assign(static_cast<size_t>(batch), 0);
  if (ws.item_status.size() < static_cast<size_t>(batch)) ws.item_status.resize(static_cast<size_t>(batch));
  // The bins stage of a batch: checkpoints side by side, one per thread, each stage on one thread (its
  // serial parts, Ward's merge chain and the copies, then overlap); a single checkpoint uses the threads
  // inside its stages. Results do not depend on the split; statuses are read in checkpoint order below.
  const int nt = opt.m.threads > 0 ? opt.m.threads : omp_get_max_threads();
  const int outer = static_cast<int>(std::min<int64_t>(nt, batch));
  const int inner = outer > 1 ? 1 : opt.m.threads;
  if (ws.bins.size() < static_cast<size_t>(outer)) ws.bins.resize(static_cast<size_t>(outer));
  auto stage = [&](int64_t b, BinsScratch& bs) {
    if (ctl.cancelled()) {
      ws.item_status[b] = Status::Error(Code::CANCELLED, "cancelled");
      return;
    }
    results[b].error.clear();
    bool measured = false;
    ws.item_status[b] = bins_stage(bs, ws.covs[b], ws.units[b], &ws.item_D[b], Z + b * N * H, b, N, H, opt, results[b],
                                   &measured, ctl, inner);
    ws.item_measured[b] = measured;
  };
  if (outer == 1) {
    // No region around the stages: their own regions stay top-level (a nested one allocates its team).
    for (int64_t b = 0; b < batch; ++b) stage(b, ws.bins[0]);
  } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(outer)
    for (int64_t b = 0; b < batch; ++b) stage(b, ws.bins[omp_get_thread_num()]);
  }
  size_t nitems = 0;
  for (int64_t b = 0; b < batch; ++b) {
    MeasureResult& res = results[b];
    bool measured = ws.item_measured[b];
    const Status& s = ws.item_status[b];
    if (!s.ok() && opt.m.item_errors && s.code == Code::INVALID_DATA) {
      res.error = s.message;  // not measured (count 0 below); the rest of the batch goes on
      measured = false;
    } else if (!s.ok()) {
      return s;
    }
    if (!measured) {
      clear_result(res.oinfo);  // count 0, nothing else
      continue;
    }
    if (ws.items.size() <= nitems) ws.items.resize(nitems + 1);
    Item& it = ws.items[nitems];
    it.C = ws.covs[b].data();
    it.D = ws.item_D[b];
    it.units = &ws.units[b];
    it.mind = opt.min_size;
    it.maxd = opt.max_size > 0 ? std::min(opt.max_size, ws.units[b].count) : ws.units[b].count;
    if (it.mind > it.maxd)
      return Status::Error(Code::INVALID_ARGUMENT, "sizes: min_size " + std::to_string(it.mind) + " exceeds the " +
                                                       std::to_string(ws.units[b].count) + " bins");
    ws.item_of[b] = static_cast<int64_t>(nitems++);
  }
  if (nitems == 0) return Status::Ok();
  OInfoOptions oo;
  oo.min_size = opt.min_size;
  oo.top_k = opt.m.top_k;
  oo.scale = opt.m.scale;
  oo.bias_samples = opt.m.bias_samples;
  oo.threads = opt.m.threads;
  oo.stream_path = opt.stream_path;
  if (opt.stream_path && nitems != 1)
    return Status::Error(Code::INVALID_ARGUMENT, "stream_path: only with batch 1");
  std::vector<OInfoResult>& out = ws.out;
  Status s = run_engine(ws, nitems, oo, out, ctl, false, opt.m.item_errors);
  if (!s.ok()) {
    if (batch > 1 && s.code == Code::INVALID_DATA) s.message = "checkpoint batch: " + s.message;
    return s;
  }
  for (int64_t b = 0; b < batch; ++b)
    if (ws.item_of[b] >= 0) {
      std::swap(results[b].oinfo, out[ws.item_of[b]]);
      if (!ws.item_err[ws.item_of[b]].empty()) results[b].error = ws.item_err[ws.item_of[b]];
    }
  return Status::Ok();
}

}  // namespace

// Internal entry for tests and benchmarks: the general (block) walker even in variables mode.
Status oinfo_multiplets_general(const double* cov, int64_t batch, int64_t D, const Units& units,
                                const OInfoOptions& opt, std::vector<OInfoResult>& results, const Control& ctl) {
  Status s = check_multiplets(cov, batch, D, units, opt);
  if (!s.ok()) return s;
  cpu::EngineScratch ws;
  batch_items(ws, cov, batch, D, units, opt);
  return run_engine(ws, static_cast<size_t>(batch), opt, results, ctl, true);
}

Status cpu::oinfo_multiplets(EngineScratch& ws, const double* cov, int64_t batch, int64_t D, const Units& units,
                             const OInfoOptions& opt, std::vector<OInfoResult>& results, const Control& ctl) {
  batch_items(ws, cov, batch, D, units, opt);
  return run_engine(ws, static_cast<size_t>(batch), opt, results, ctl);
}

Status cpu::measure_bins(EngineScratch& ws, const float* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                         std::vector<MeasureResult>& results, const Control& ctl) {
  return measure_impl(ws, Z, batch, N, H, opt, results, ctl);
}
Status cpu::measure_bins(EngineScratch& ws, const double* Z, int64_t batch, int64_t N, int64_t H, const BinsOptions& opt,
                         std::vector<MeasureResult>& results, const Control& ctl) {
  return measure_impl(ws, Z, batch, N, H, opt, results, ctl);
}

}  // namespace grokinfo
