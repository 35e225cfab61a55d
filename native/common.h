// grokinfo native core: shared types. Nothing here knows about Node.
#pragma once
#include <cstdint>
#include <string>

namespace grokinfo {

enum class Backend : int { CPU = 0, CUDA = 1 };

// Error codes shared with the TypeScript GrokinfoError codes (src/core/errors.ts).
enum class Code : int {
  OK = 0,
  INVALID_ARGUMENT = 1,     // a parameter out of range (message names it and the allowed range)
  INVALID_DATA = 2,         // NaN/Inf, singular covariance, constant column...
  BACKEND_UNAVAILABLE = 3,  // CUDA asked for but absent, or a CUDA runtime failure
  CANCELLED = 4,            // the control block's cancel flag was raised
  IO = 5,                   // a file could not be written
  INTERNAL = 6,
};

struct Status {
  Code code = Code::OK;
  std::string message;
  bool ok() const { return code == Code::OK; }
  static Status Ok() { return {}; }
  static Status Error(Code c, std::string m) { return {c, std::move(m)}; }
};

// Control block shared with JavaScript (a Float64Array(4) owned by the caller and kept alive for the
// duration of the call): [0] cancel flag (JS writes 1 to cancel), [1] units of work done, [2] total
// units of work, [3] reserved. Native code polls cancelled() at chunk boundaries and adds progress.
// A null pointer means no control.
class Control {
 public:
  explicit Control(double* block = nullptr) : b_(block) {}
  bool cancelled() const { return b_ && load(0) != 0.0; }
  void set_total(double total) const { if (b_) store(2, total); }
  void set_done(double n) const { if (b_) store(1, n); }
  void add_done(double n) const {
    if (!b_) return;
    double cur = load(1);
    while (!__atomic_compare_exchange(&b_[1], &cur, &(const double&)(cur + n), true, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED)) {
    }
  }

 private:
  double load(int i) const {
    double v;
    __atomic_load(&b_[i], &v, __ATOMIC_RELAXED);
    return v;
  }
  void store(int i, double v) const { __atomic_store(&b_[i], &v, __ATOMIC_RELAXED); }
  double* b_;
};

// True when this build has the CUDA backend and a device is present; `why` explains a false.
bool cuda_available(std::string* why);

}  // namespace grokinfo
