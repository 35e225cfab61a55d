// N-API binding of the O-information engine: copula, Ward, multiplets, checkpoint measurement; in
// the bench addon only (GROKINFO_BENCH_ADDON, see CMakeLists.txt), also the benchmark baselines and
// the test-only engine variants. Typed arrays are read in place (kept alive by the worker); work runs off
// the main thread through PromiseWorker; errors come back as coded GrokinfoErrors.
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../native/kernels.h"
#include "binding.h"
#ifdef GROKINFO_BENCH_ADDON
#include "baseline_oinfo.h"
#endif

namespace grokinfo::bind {

namespace {

TiePolicy ties_from(Napi::Env env, const std::string& s) {
  if (s == "average") return TiePolicy::Average;
  if (s == "random") return TiePolicy::Random;
  if (s == "ordinal") return TiePolicy::Ordinal;
  throw_error(env, Code::INVALID_ARGUMENT, "ties: one of 'average', 'random', 'ordinal' (got \"" + s + "\")");
}

Backend backend_from(Napi::Env env, const Napi::Value& v) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "cpu";
  if (s == "cpu") return Backend::CPU;
  if (s == "cuda") return Backend::CUDA;
  throw_error(env, Code::INVALID_ARGUMENT, "backend: 'cpu' or 'cuda' (resolve 'auto' before the native call)");
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t lo) {
  if (info.Length() <= i || !info[i].IsNumber()) throw_error(info.Env(), Code::INVALID_ARGUMENT, std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < static_cast<double>(lo))
    throw_error(info.Env(), Code::INVALID_ARGUMENT, std::string(what) + " must be an integer >= " + std::to_string(lo));
  return static_cast<int64_t>(d);
}

// The JS values a worker must keep alive (objects only: N-API references need objects).
std::vector<Napi::Value> keep(std::initializer_list<Napi::Value> vs) {
  std::vector<Napi::Value> out;
  for (const auto& v : vs)
    if (v.IsObject()) out.push_back(v);
  return out;
}

Napi::Object multiplet_to_js(Napi::Env env, const Multiplet& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("value", m.members.empty() ? Napi::Number::New(env, NAN) : Napi::Number::New(env, m.value));
  Napi::Array a = Napi::Array::New(env, m.members.size());
  for (size_t i = 0; i < m.members.size(); ++i) a.Set(static_cast<uint32_t>(i), m.members[i]);
  o.Set("members", a);
  return o;
}

Napi::Array multiplets_to_js(Napi::Env env, const std::vector<Multiplet>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), multiplet_to_js(env, v[i]));
  return a;
}

void fill_result(Napi::Env env, Napi::Object o, const OInfoResult& r) {
  o.Set("count", static_cast<double>(r.count));
  o.Set("synergy", multiplet_to_js(env, r.min));
  o.Set("redundancy", multiplet_to_js(env, r.max));
  Napi::Array by = Napi::Array::New(env, r.by_size.size());
  for (size_t i = 0; i < r.by_size.size(); ++i) {
    const SizeExtremes& e = r.by_size[i];
    Napi::Object s = Napi::Object::New(env);
    s.Set("size", e.size);
    s.Set("count", static_cast<double>(e.count));
    s.Set("synergy", multiplet_to_js(env, e.min));
    s.Set("redundancy", multiplet_to_js(env, e.max));
    by.Set(static_cast<uint32_t>(i), s);
  }
  o.Set("bySize", by);
  o.Set("topSynergy", multiplets_to_js(env, r.top_synergy));
  o.Set("topRedundancy", multiplets_to_js(env, r.top_redundancy));
}

Napi::Object result_to_js(Napi::Env env, const OInfoResult& r) {
  Napi::Object o = Napi::Object::New(env);
  fill_result(env, o, r);
  return o;
}

std::shared_ptr<Units> units_from_js(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject()) throw_error(env, Code::INVALID_ARGUMENT, "units must be {offsets: Int32Array, members: Int32Array}");
  Napi::Object o = v.As<Napi::Object>();
  auto off = typed_array<int32_t>(env, o.Get("offsets"), napi_int32_array, "units.offsets");
  auto mem = typed_array<int32_t>(env, o.Get("members"), napi_int32_array, "units.members");
  auto u = std::make_shared<Units>();
  if (off.length < 2) throw_error(env, Code::INVALID_ARGUMENT, "units.offsets: needs at least 2 entries");
  u->count = static_cast<int32_t>(off.length - 1);
  u->offsets.assign(off.data, off.data + off.length);
  u->members.assign(mem.data, mem.data + mem.length);
  if (u->offsets[0] != 0 || u->offsets.back() != static_cast<int32_t>(mem.length))
    throw_error(env, Code::INVALID_ARGUMENT, "units.offsets: must start at 0 and end at members.length");
  return u;
}

struct OptsHolder {
  OInfoOptions opt;
  std::string stream;
};

std::shared_ptr<OptsHolder> oinfo_options_from_js(Napi::Env env, const Napi::Value& v) {
  auto h = std::make_shared<OptsHolder>();
  if (v.IsUndefined()) return h;
  if (!v.IsObject()) throw_error(env, Code::INVALID_ARGUMENT, "options must be an object");
  Napi::Object o = v.As<Napi::Object>();
  OInfoOptions& p = h->opt;
  p.min_size = static_cast<int32_t>(get_int(o, "minSize", 2));
  p.max_size = static_cast<int32_t>(get_int(o, "maxSize", 3));
  p.top_k = static_cast<int32_t>(get_int(o, "topK", 0));
  p.grouped = get_bool(o, "grouped", false);
  p.scale = get_number(o, "scale", 1.0);
  p.bias_samples = get_int(o, "biasSamples", 0);
  p.threads = static_cast<int32_t>(get_int(o, "threads", 0));
  h->stream = get_string(o, "streamPath", "");
  return h;
}

// The data matrix argument info[0]: a Float32Array or Float64Array of rows * cols values (no copy).
std::pair<const void*, bool> matrix_arg(const Napi::CallbackInfo& info, int64_t N, int64_t D) {
  Napi::Env env = info.Env();
  const bool f32 = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  const void* X;
  size_t len;
  if (f32) {
    auto a = typed_array<float>(env, info[0], napi_float32_array, "X");
    X = a.data;
    len = a.length;
  } else {
    auto a = typed_array<double>(env, info[0], napi_float64_array, "X (Float32Array or Float64Array)");
    X = a.data;
    len = a.length;
  }
  if (len != static_cast<size_t>(N * D)) throw_error(env, Code::INVALID_ARGUMENT, "X: length must be rows * cols");
  return {X, f32};
}

// copulaCovariance(X: Float32Array|Float64Array, rows, cols, {ties, seed}, control) -> Promise<Float64Array>
Napi::Value CopulaCovariance(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t N = int_arg(info, 1, "rows", 1), D = int_arg(info, 2, "cols", 1);
  Napi::Object o = info.Length() > 3 && info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  TiePolicy ties = ties_from(env, get_string(o, "ties", "average"));
  uint64_t seed = static_cast<uint64_t>(get_int(o, "seed", 0));
  Control ctl = control_arg(info, 4);
  const auto [X, f32] = matrix_arg(info, N, D);
  auto out = std::make_shared<std::vector<double>>(static_cast<size_t>(D * D));
  return PromiseWorker::run(
      env,
      [=]() {
        return f32 ? copula_covariance(static_cast<const float*>(X), N, D, ties, seed, out->data(), ctl)
                   : copula_covariance(static_cast<const double*>(X), N, D, ties, seed, out->data(), ctl);
      },
      [out](Napi::Env e) {
        Napi::Float64Array a = Napi::Float64Array::New(e, out->size());
        std::copy(out->begin(), out->end(), a.Data());
        return a;
      },
      keep({info[0], info.Length() > 4 ? info[4] : env.Undefined()}));
}

// wardCluster(X, rows, cols, k, use?: Uint8Array, control) -> Promise<Int32Array>
Napi::Value WardCluster(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t N = int_arg(info, 1, "rows", 1), D = int_arg(info, 2, "cols", 1);
  const int32_t k = static_cast<int32_t>(int_arg(info, 3, "k", 1));
  const uint8_t* use = nullptr;
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
    auto u = typed_array<uint8_t>(env, info[4], napi_uint8_array, "use");
    if (u.length != static_cast<size_t>(D)) throw_error(env, Code::INVALID_ARGUMENT, "use: length must be cols");
    use = u.data;
  }
  Control ctl = control_arg(info, 5);
  const auto [X, f32] = matrix_arg(info, N, D);
  auto labels = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(D));
  return PromiseWorker::run(
      env,
      [=]() {
        return f32 ? ward_cluster(static_cast<const float*>(X), N, D, use, k, labels->data(), ctl)
                   : ward_cluster(static_cast<const double*>(X), N, D, use, k, labels->data(), ctl);
      },
      [labels](Napi::Env e) {
        Napi::Int32Array a = Napi::Int32Array::New(e, labels->size());
        std::copy(labels->begin(), labels->end(), a.Data());
        return a;
      },
      keep({info[0], info.Length() > 4 ? info[4] : env.Undefined(), info.Length() > 5 ? info[5] : env.Undefined()}));
}

// oinfoMultiplets(cov: Float64Array, batch, D, units, options, backend, control, variant?)
//   variant (bench addon only): undefined (the engine), 'general' (engine, block walker only),
//   'baseline' (batch 1; options.stride samples every stride-th multiplet per size).
Napi::Value OInfoMultiplets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto cov = typed_array<double>(env, info[0], napi_float64_array, "cov");
  const int64_t batch = int_arg(info, 1, "batch", 1), D = int_arg(info, 2, "D", 1);
  if (cov.length != static_cast<size_t>(batch * D * D)) throw_error(env, Code::INVALID_ARGUMENT, "cov: length must be batch * D * D");
  auto units = units_from_js(env, info[3]);
  auto opts = oinfo_options_from_js(env, info[4]);
  Backend backend = backend_from(env, info[5]);
  Control ctl = control_arg(info, 6);
  std::string variant = info.Length() > 7 && info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : "";
#ifndef GROKINFO_BENCH_ADDON
  if (!variant.empty()) throw_error(env, Code::INVALID_ARGUMENT, "variant '" + variant + "' exists only in the bench addon (grokinfo_bench.node)");
#endif
  uint64_t stride = 1;
  if (info[4].IsObject()) stride = static_cast<uint64_t>(get_int(info[4].As<Napi::Object>(), "stride", 1));
  auto results = std::make_shared<std::vector<OInfoResult>>();
  const double* C = cov.data;
  return PromiseWorker::run(
      env,
      [=]() {
        OInfoOptions o = opts->opt;
        o.stream_path = opts->stream.empty() ? nullptr : opts->stream.c_str();
#ifdef GROKINFO_BENCH_ADDON
        if (variant == "baseline") {
          results->resize(1);
          return oinfo_multiplets_baseline(C, D, *units, o, stride, (*results)[0], ctl);
        }
        if (variant == "general") return oinfo_multiplets_general(C, batch, D, *units, o, *results, ctl);
#else
        (void)stride;
#endif
        return pooled_engine(backend)->multiplets(C, batch, D, *units, o, *results, ctl);
      },
      [results](Napi::Env e) {
        Napi::Array a = Napi::Array::New(e, results->size());
        for (size_t i = 0; i < results->size(); ++i) a.Set(static_cast<uint32_t>(i), result_to_js(e, (*results)[i]));
        return a;
      },
      keep({info[0], info.Length() > 6 ? info[6] : env.Undefined()}));
}

#ifdef GROKINFO_BENCH_ADDON
// oinfoValuesBaseline(cov, D, units, options, multiplets: number[][]) -> Float64Array (synchronous)
Napi::Value OInfoValuesBaseline(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto cov = typed_array<double>(env, info[0], napi_float64_array, "cov");
  const int64_t D = int_arg(info, 1, "D", 1);
  auto units = units_from_js(env, info[2]);
  auto opts = oinfo_options_from_js(env, info[3]);
  if (!info[4].IsArray()) throw_error(env, Code::INVALID_ARGUMENT, "multiplets must be an array of unit lists");
  Napi::Array arr = info[4].As<Napi::Array>();
  std::vector<std::vector<int32_t>> ms(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Array m = arr.Get(i).As<Napi::Array>();
    for (uint32_t j = 0; j < m.Length(); ++j) {
      int32_t u = m.Get(j).As<Napi::Number>().Int32Value();
      if (u < 0 || u >= units->count) throw_error(env, Code::INVALID_ARGUMENT, "multiplets: unit out of range");
      ms[i].push_back(u);
    }
  }
  std::vector<double> values;
  throw_if(env, oinfo_values_baseline(cov.data, D, *units, opts->opt, ms, values));
  Napi::Float64Array out = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}
#endif

// measureCheckpoints(Z: Float32Array, batch, rows, cols, options, backend, control, variant?) -> Promise<raw[]>
Napi::Value MeasureCheckpoints(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto z = typed_array<float>(env, info[0], napi_float32_array, "Z");
  const int64_t batch = int_arg(info, 1, "batch", 1), N = int_arg(info, 2, "rows", 1), H = int_arg(info, 3, "cols", 1);
  if (z.length != static_cast<size_t>(batch * N * H)) throw_error(env, Code::INVALID_ARGUMENT, "Z: length must be batch * rows * cols");
  MeasureOptions opt = info[4].IsObject() ? measure_options_from_js(info[4].As<Napi::Object>()) : MeasureOptions();
  Backend backend = backend_from(env, info[5]);
  Control ctl = control_arg(info, 6);
  std::string variant = info.Length() > 7 && info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : "";
#ifdef GROKINFO_BENCH_ADDON
  const bool baseline = variant == "baseline";
#else
  if (!variant.empty()) throw_error(env, Code::INVALID_ARGUMENT, "variant '" + variant + "' exists only in the bench addon (grokinfo_bench.node)");
#endif
  auto results = std::make_shared<std::vector<MeasureResult>>();
  const float* Z = z.data;
  return PromiseWorker::run(
      env,
      [=]() {
#ifdef GROKINFO_BENCH_ADDON
        if (baseline) return measure_checkpoints_baseline(Z, batch, N, H, opt, *results, ctl);
#endif
        return pooled_engine(backend)->measure(Z, batch, N, H, opt, *results, ctl);
      },
      [results](Napi::Env e) {
        Napi::Array a = Napi::Array::New(e, results->size());
        for (size_t i = 0; i < results->size(); ++i) a.Set(static_cast<uint32_t>(i), measure_result_to_js(e, (*results)[i]));
        return a;
      },
      keep({info[0], info.Length() > 6 ? info[6] : env.Undefined()}));
}

// measureBins(X: Float32Array|Float64Array, rows, cols, options, backend, control) -> Promise<raw>
//   The bins pipeline of `oinfo --bins ward:K` on one matrix: measureCheckpoints' options plus minSize,
//   maxSize (0: every bin), streamPath, checkSamples.
Napi::Value MeasureBins(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t N = int_arg(info, 1, "rows", 1), D = int_arg(info, 2, "cols", 1);
  if (!info[3].IsObject()) throw_error(env, Code::INVALID_ARGUMENT, "options must be an object");
  Napi::Object o = info[3].As<Napi::Object>();
  struct Holder {
    BinsOptions opt;
    std::string stream;
  };
  auto h = std::make_shared<Holder>();
  h->opt.m = measure_options_from_js(o);
  h->opt.min_size = static_cast<int32_t>(get_int(o, "minSize", 2));
  h->opt.max_size = static_cast<int32_t>(get_int(o, "maxSize", 0));
  h->opt.check_samples = get_bool(o, "checkSamples", false);
  h->opt.data_label = "matrix";
  h->stream = get_string(o, "streamPath", "");
  Backend backend = backend_from(env, info[4]);
  Control ctl = control_arg(info, 5);
  const auto [X, f32] = matrix_arg(info, N, D);
  auto results = std::make_shared<std::vector<MeasureResult>>();
  return PromiseWorker::run(
      env,
      [=]() {
        BinsOptions opt = h->opt;
        opt.stream_path = h->stream.empty() ? nullptr : h->stream.c_str();
        auto engine = pooled_engine(backend);
        return f32 ? engine->measure_bins(static_cast<const float*>(X), 1, N, D, opt, *results, ctl)
                   : engine->measure_bins(static_cast<const double*>(X), 1, N, D, opt, *results, ctl);
      },
      [results](Napi::Env e) -> Napi::Value { return measure_result_to_js(e, (*results)[0]); },
      keep({info[0], info.Length() > 5 ? info[5] : env.Undefined()}));
}

// cpuKernels() -> {active: 'avx512'|'avx2'|'portable', paths: [{name, supported, why}]}
Napi::Value CpuKernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("active", kernels::isa_name(kernels::active_isa()));
  Napi::Array paths = Napi::Array::New(env, kernels::kIsaCount);
  for (int i = 0; i < kernels::kIsaCount; ++i) {
    std::string why;
    const bool ok = kernels::isa_supported(static_cast<kernels::Isa>(i), &why);
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", kernels::isa_name(static_cast<kernels::Isa>(i)));
    p.Set("supported", ok);
    p.Set("why", why);
    paths.Set(static_cast<uint32_t>(i), p);
  }
  o.Set("paths", paths);
  return o;
}

// setCpuKernels(name): forces a kernel path for this process (tests and benchmarks).
Napi::Value SetCpuKernels(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString())
    throw_error(info.Env(), Code::INVALID_ARGUMENT, "setCpuKernels(name): name must be 'portable', 'avx2' or 'avx512'");
  throw_if(info.Env(), kernels::set_isa(info[0].As<Napi::String>().Utf8Value()));
  return info.Env().Undefined();
}

Napi::Value Ndtri(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw_error(info.Env(), Code::INVALID_ARGUMENT, "ndtri(u): u must be a number");
  return Napi::Number::New(info.Env(), ndtri(info[0].As<Napi::Number>().DoubleValue()));
}

}  // namespace

std::shared_ptr<OInfoEngine> pooled_engine(Backend backend) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<OInfoEngine>> pool[2];
  std::unique_ptr<OInfoEngine> e;
  {
    std::lock_guard<std::mutex> g(mu);
    auto& p = pool[backend == Backend::CUDA ? 1 : 0];
    if (!p.empty()) {
      e = std::move(p.back());
      p.pop_back();
    }
  }
  if (!e) e = std::make_unique<OInfoEngine>(backend);
  return std::shared_ptr<OInfoEngine>(e.release(), [backend](OInfoEngine* x) {
    std::lock_guard<std::mutex> g(mu);
    pool[backend == Backend::CUDA ? 1 : 0].emplace_back(x);
  });
}

MeasureOptions measure_options_from_js(const Napi::Object& o) {
  Napi::Env env = o.Env();
  MeasureOptions m;
  m.bins = static_cast<int32_t>(get_int(o, "bins", 10));
  m.ties = ties_from(env, get_string(o, "ties", "average"));
  m.seed = static_cast<uint64_t>(get_int(o, "seed", 0));
  m.scale = get_number(o, "scale", 1.0);
  m.bias_samples = get_int(o, "biasSamples", 0);
  m.top_k = static_cast<int32_t>(get_int(o, "topK", 0));
  m.threads = static_cast<int32_t>(get_int(o, "threads", 0));
  m.item_errors = get_bool(o, "itemErrors", false);
  if (m.bins < 2) throw_error(env, Code::INVALID_ARGUMENT, "bins: must be >= 2");
  if (m.top_k < 0) throw_error(env, Code::INVALID_ARGUMENT, "topK: must be >= 0");
  return m;
}

Napi::Object measure_result_to_js(Napi::Env env, const MeasureResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("dead", r.dead);
  Napi::Int32Array labels = Napi::Int32Array::New(env, r.labels.size());
  std::copy(r.labels.begin(), r.labels.end(), labels.Data());
  o.Set("labels", labels);
  fill_result(env, o, r.oinfo);
  if (!r.error.empty()) o.Set("error", r.error);
  return o;
}

void init_oinfo(Napi::Env env, Napi::Object exports) {
  exports.Set("ndtri", Napi::Function::New(env, Ndtri));
  exports.Set("copulaCovariance", Napi::Function::New(env, CopulaCovariance));
  exports.Set("wardCluster", Napi::Function::New(env, WardCluster));
  exports.Set("oinfoMultiplets", Napi::Function::New(env, OInfoMultiplets));
#ifdef GROKINFO_BENCH_ADDON
  exports.Set("oinfoValuesBaseline", Napi::Function::New(env, OInfoValuesBaseline));
  exports.Set("benchAddon", Napi::Boolean::New(env, true));
#endif
  exports.Set("measureCheckpoints", Napi::Function::New(env, MeasureCheckpoints));
  exports.Set("measureBins", Napi::Function::New(env, MeasureBins));
  exports.Set("cpuKernels", Napi::Function::New(env, CpuKernels));
  exports.Set("setCpuKernels", Napi::Function::New(env, SetCpuKernels));
}

}  // namespace grokinfo::bind
