// Module entry: error class registration, backend info, and the per-area initialisers.
#include "binding.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <string>

namespace grokinfo::bind {

void init_measures(Napi::Env env, Napi::Object exports);  // bindings/measures.cpp

namespace {
struct AddonData {
  Napi::FunctionReference error_class;
};

AddonData* data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
}  // namespace

const char* code_name(Code c) {
  switch (c) {
    case Code::OK: return "OK";
    case Code::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case Code::INVALID_DATA: return "INVALID_DATA";
    case Code::BACKEND_UNAVAILABLE: return "BACKEND_UNAVAILABLE";
    case Code::CANCELLED: return "CANCELLED";
    case Code::IO: return "IO";
    default: return "INTERNAL";
  }
}

Napi::Error make_error(Napi::Env env, Code code, const std::string& message) {
  AddonData* d = data(env);
  if (d && !d->error_class.IsEmpty()) {
    Napi::Value v = d->error_class.New({Napi::String::New(env, code_name(code)), Napi::String::New(env, message)});
    return Napi::Error(env, v);
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code_name(code)));
  return e;
}

void throw_error(Napi::Env env, Code code, const std::string& message) {
  throw make_error(env, code, message);
}

Napi::Object arg_object(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsObject())
    throw_error(info.Env(), Code::INVALID_ARGUMENT, std::string(what) + " must be an object");
  return info[i].As<Napi::Object>();
}

double get_number(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw_error(o.Env(), Code::INVALID_ARGUMENT, std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t get_int(const Napi::Object& o, const char* key, int64_t fallback) {
  double d = get_number(o, key, static_cast<double>(fallback));
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throw_error(o.Env(), Code::INVALID_ARGUMENT, std::string(key) + " must be an integer");
  return static_cast<int64_t>(d);
}

bool get_bool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throw_error(o.Env(), Code::INVALID_ARGUMENT, std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw_error(o.Env(), Code::INVALID_ARGUMENT, std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

static Napi::Value required(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull())
    throw_error(o.Env(), Code::INVALID_ARGUMENT, what + key + " is required (the native layer has no defaults)");
  return v;
}

double need_number(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = required(o, key, what);
  if (!v.IsNumber()) throw_error(o.Env(), Code::INVALID_ARGUMENT, what + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool need_bool(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = required(o, key, what);
  if (!v.IsBoolean()) throw_error(o.Env(), Code::INVALID_ARGUMENT, what + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string need_string(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = required(o, key, what);
  if (!v.IsString()) throw_error(o.Env(), Code::INVALID_ARGUMENT, what + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Control control_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return Control();
  auto v = typed_array<double>(info.Env(), info[i], napi_float64_array, "control");
  if (v.length < 4) throw_error(info.Env(), Code::INVALID_ARGUMENT, "control must be a Float64Array(4)");
  return Control(v.data);
}

PromiseWorker::PromiseWorker(Napi::Env env, Work work, Done done, std::vector<Napi::Value> keep)
    : Napi::AsyncWorker(env, "grokinfo"), deferred_(Napi::Promise::Deferred::New(env)),
      work_(std::move(work)), done_(std::move(done)) {
  for (auto& v : keep) keep_.push_back(Napi::Persistent(v));
}

Napi::Promise PromiseWorker::run(Napi::Env env, Work work, Done done, std::vector<Napi::Value> keep) {
  auto* w = new PromiseWorker(env, std::move(work), std::move(done), std::move(keep));
  Napi::Promise p = w->deferred_.Promise();
  w->Queue();
  return p;
}

namespace {

// Compute lanes: persistent threads that run the workers' jobs. libuv hands a job to any thread of its
// pool, and OpenMP keeps one team of threads per calling thread, so consecutive engine calls used to land
// on different teams (another team's caches, its threads still spinning): about 1 ms of a 15 ms P1
// measurement. A job takes the first free lane, so a lone job always runs on lane 0 and reuses its
// OpenMP team; jobs that overlap (training beside a measurement) take lanes 1, 2, ..., as they took other
// libuv threads before. The libuv thread waits for its lane, as it waited for its own computation.
struct Lane {
  std::mutex mu;
  std::condition_variable cv;
  const std::function<void()>* job = nullptr;
  bool done = false;
  bool busy = false;  // guarded by lanes_mu()
};
// Never destroyed: the lanes' threads live until the process exits.
std::mutex& lanes_mu() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<Lane*>& lanes() {
  static auto* v = new std::vector<Lane*>;
  return *v;
}

void lane_main(Lane* l) {
  for (;;) {
    const std::function<void()>* job;
    {
      std::unique_lock<std::mutex> lk(l->mu);
      l->cv.wait(lk, [l] { return l->job != nullptr; });
      job = l->job;
    }
    (*job)();
    {
      std::lock_guard<std::mutex> lk(l->mu);
      l->job = nullptr;
      l->done = true;
    }
    l->cv.notify_all();
  }
}

void run_on_lane(const std::function<void()>& f) {
  Lane* l = nullptr;
  {
    std::lock_guard<std::mutex> g(lanes_mu());
    for (Lane* x : lanes())
      if (!x->busy) {
        l = x;
        break;
      }
    if (!l) {
      l = new Lane();
      lanes().push_back(l);
      std::thread(lane_main, l).detach();
    }
    l->busy = true;
  }
  {
    std::unique_lock<std::mutex> lk(l->mu);
    l->done = false;
    l->job = &f;
    l->cv.notify_all();
    l->cv.wait(lk, [l] { return l->done; });
  }
  std::lock_guard<std::mutex> g(lanes_mu());
  l->busy = false;
}

}  // namespace

void PromiseWorker::Execute() {
  run_on_lane([this] {
    try {
      status_ = work_();
    } catch (const std::exception& e) {
      status_ = Status::Error(Code::INTERNAL, e.what());
    }
  });
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (!status_.ok()) {
    deferred_.Reject(make_error(env, status_.code, status_.message).Value());
    return;
  }
  try {
    deferred_.Resolve(done_ ? done_(env) : env.Undefined());
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void PromiseWorker::OnError(const Napi::Error& e) { deferred_.Reject(e.Value()); }

}  // namespace grokinfo::bind

namespace {

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  using namespace grokinfo::bind;
  if (info.Length() < 1 || !info[0].IsFunction())
    throw Napi::TypeError::New(info.Env(), "setErrorClass expects a constructor");
  auto* d = info.Env().GetInstanceData<AddonData>();
  d->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  std::string why;
  bool cuda = grokinfo::cuda_available(&why);
#ifdef GROKINFO_WITH_CUDA
  o.Set("cudaBuilt", true);
  o.Set("cudaArchs", GROKINFO_CUDA_ARCHS);
#else
  o.Set("cudaBuilt", false);
#endif
#ifdef GROKINFO_CPU_TARGET
  o.Set("cpuTarget", GROKINFO_CPU_TARGET);
#endif
  o.Set("cuda", cuda);
  o.Set("cudaReason", why);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new grokinfo::bind::AddonData());
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo));
  grokinfo::bind::init_oinfo(env, exports);
  grokinfo::bind::init_train(env, exports);
  grokinfo::bind::init_measures(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(grokinfo, Init)
