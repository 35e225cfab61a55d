// N-API helpers shared by the bindings: coded errors, typed-array access, the control block,
// and a promise-returning worker that runs native work off the main thread.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "../native/common.h"

namespace grokinfo::bind {

const char* code_name(Code c);

// Creates an instance of the JS GrokinfoError class registered with setErrorClass (falls back to a
// plain Error with a `code` property when none is registered).
Napi::Error make_error(Napi::Env env, Code code, const std::string& message);
[[noreturn]] void throw_error(Napi::Env env, Code code, const std::string& message);
inline void throw_if(Napi::Env env, const Status& s) {
  if (!s.ok()) throw_error(env, s.code, s.message);
}

// Argument helpers: each throws a coded INVALID_ARGUMENT naming `what` when the value is wrong.
Napi::Object arg_object(const Napi::CallbackInfo& info, size_t i, const char* what);
double get_number(const Napi::Object& o, const char* key, double fallback);
int64_t get_int(const Napi::Object& o, const char* key, int64_t fallback);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback);
// Required values (no fallback): a missing one is INVALID_ARGUMENT "<what><key> is required".
double need_number(const Napi::Object& o, const char* key, const std::string& what);
bool need_bool(const Napi::Object& o, const char* key, const std::string& what);
std::string need_string(const Napi::Object& o, const char* key, const std::string& what);

template <typename T>
struct ArrayView {
  T* data = nullptr;
  size_t length = 0;
};
// A typed array of the given element type (e.g. napi_float64_array); no copy.
template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, napi_typedarray_type type,
                         const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw_error(env, Code::INVALID_ARGUMENT, std::string(what) + " must be a typed array of the expected type");
  auto ta = v.As<Napi::TypedArray>();
  auto buf = ta.ArrayBuffer();
  ArrayView<T> out;
  out.data = reinterpret_cast<T*>(static_cast<uint8_t*>(buf.Data()) + ta.ByteOffset());
  out.length = ta.ElementLength();
  return out;
}

// The optional control block (Float64Array(4), see native/common.h); undefined -> no control.
Control control_arg(const Napi::CallbackInfo& info, size_t i);

// Runs `work` off the JS thread (queued on the libuv pool, computed on the first free compute lane: a
// persistent thread, so the engines' OpenMP teams are reused; addon.cpp) and settles a promise: resolved
// with `done(env)` on success,
// rejected with the coded error of a failed Status. `keep` holds JS values (typed arrays, the control
// block) alive until the work finishes.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Status()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  static Napi::Promise run(Napi::Env env, Work work, Done done, std::vector<Napi::Value> keep = {});

 private:
  PromiseWorker(Napi::Env env, Work work, Done done, std::vector<Napi::Value> keep);
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  Status status_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
};

// Per-area registration, called from addon.cpp.
void init_oinfo(Napi::Env env, Napi::Object exports);
void init_train(Napi::Env env, Napi::Object exports);

}  // namespace grokinfo::bind

// Shared converters between the oinfo and train bindings (defined in bindings/oinfo.cpp).
#include "../native/oinfo.h"
namespace grokinfo::bind {
// Reads {bins, ties: 'average'|'random'|'ordinal', seed, scale, biasSamples, topK, threads}.
MeasureOptions measure_options_from_js(const Napi::Object& o);
// {dead, labels: Int32Array, count, synergy: {value, members (bins)}, redundancy, bySize: [...], ...}
Napi::Object measure_result_to_js(Napi::Env env, const MeasureResult& r);
// A pooled O-information engine of that backend: its scratch stays warm between calls (no allocation
// or page faults once it has seen the problem size); back in the pool when the last reference goes.
std::shared_ptr<OInfoEngine> pooled_engine(Backend backend);
}  // namespace grokinfo::bind
