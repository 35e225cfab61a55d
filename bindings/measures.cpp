// N-API binding of the progress-measure kernels (native/measures.h), used by src/measures/.
#include <string>
#include <vector>

#include "../native/measures.h"
#include "binding.h"

namespace grokinfo::bind {

namespace {

// measuresGram(X: Float32Array, rows, cols, indicator: boolean) -> Float64Array (cols x cols).
// Synchronous: ~N*D^2/2 multiply-adds (0.1 s for 3763 x 250 on one core).
Napi::Value MeasuresGram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsBoolean())
    throw_error(env, Code::INVALID_ARGUMENT, "measuresGram(X: Float32Array, rows, cols, indicator: boolean)");
  auto X = typed_array<float>(env, info[0], napi_float32_array, "X (Float32Array)");
  const double nr = info[1].As<Napi::Number>().DoubleValue(), nc = info[2].As<Napi::Number>().DoubleValue();
  if (!(nr >= 1 && nc >= 1 && nr == static_cast<int64_t>(nr) && nc == static_cast<int64_t>(nc) && nc <= 65536))
    throw_error(env, Code::INVALID_ARGUMENT, "measuresGram: rows and cols must be integers >= 1 (cols <= 65536)");
  const int64_t N = static_cast<int64_t>(nr), D = static_cast<int64_t>(nc);
  if (X.length != static_cast<size_t>(N * D)) throw_error(env, Code::INVALID_ARGUMENT, "measuresGram: X length must be rows * cols");
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(D * D));
  measures::gram(X.data, N, D, info[3].As<Napi::Boolean>().Value(), out.Data());
  return out;
}

// measuresFirstLayerBelow(W: Float32Array, H, cols, bias: Float32Array|null, vocab, a: Int32Array, b: Int32Array, tau)
//   -> number of (sample, unit) pairs with first-layer pre-activation < tau.
Napi::Value MeasuresFirstLayerBelow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8) throw_error(env, Code::INVALID_ARGUMENT, "measuresFirstLayerBelow(W, H, cols, bias, vocab, a, b, tau)");
  auto W = typed_array<float>(env, info[0], napi_float32_array, "W (Float32Array)");
  auto num = [&](size_t i, const char* what) {
    if (!info[i].IsNumber()) throw_error(env, Code::INVALID_ARGUMENT, std::string(what) + " must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  };
  const int64_t H = static_cast<int64_t>(num(1, "H")), cols = static_cast<int64_t>(num(2, "cols")), vocab = static_cast<int64_t>(num(4, "vocab"));
  const float tau = static_cast<float>(num(7, "tau"));
  if (H < 1 || cols < 2 || vocab < 1 || 2 * vocab > cols || W.length != static_cast<size_t>(H * cols))
    throw_error(env, Code::INVALID_ARGUMENT, "measuresFirstLayerBelow: W must be H x cols with cols >= 2 * vocab");
  const float* bias = nullptr;
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    auto bv = typed_array<float>(env, info[3], napi_float32_array, "bias (Float32Array or null)");
    if (bv.length != static_cast<size_t>(H)) throw_error(env, Code::INVALID_ARGUMENT, "measuresFirstLayerBelow: bias must have H values");
    bias = bv.data;
  }
  auto A = typed_array<int32_t>(env, info[5], napi_int32_array, "a (Int32Array)");
  auto B = typed_array<int32_t>(env, info[6], napi_int32_array, "b (Int32Array)");
  if (A.length != B.length) throw_error(env, Code::INVALID_ARGUMENT, "measuresFirstLayerBelow: a and b must have one length");
  for (size_t i = 0; i < A.length; ++i)
    if (A.data[i] < 0 || A.data[i] >= vocab || B.data[i] < 0 || B.data[i] >= vocab)
      throw_error(env, Code::INVALID_ARGUMENT, "measuresFirstLayerBelow: tokens must be in [0, vocab)");
  const int64_t below = measures::first_layer_below(W.data, H, cols, bias, vocab, A.data, B.data, static_cast<int64_t>(A.length), tau);
  return Napi::Number::New(env, static_cast<double>(below));
}

// measuresForward(layers: {weight: Float64Array, bias: Float64Array|null, rows, cols}[], vocab,
//                 a: Int32Array|null, b: Int32Array|null, x: Float64Array|null, N) -> Float64Array[] (one per layer:
// N x rows pre-activations; ReLU between layers). Layer 0 sees the one-hot pairs (a, b) when x is null, else
// the dense rows x (N x cols_0). Synchronous: N * sum(rows * cols) multiply-adds (0.1 s for the p = 97 grid).
Napi::Value MeasuresForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "measuresForward(layers, vocab, a, b, x, N)";
  if (info.Length() < 6 || !info[0].IsArray() || !info[1].IsNumber() || !info[5].IsNumber()) throw_error(env, Code::INVALID_ARGUMENT, usage);
  Napi::Array arr = info[0].As<Napi::Array>();
  const uint32_t L = arr.Length();
  if (L < 1 || L > 64) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: 1 to 64 layers");
  const double nv = info[1].As<Napi::Number>().DoubleValue(), nn = info[5].As<Napi::Number>().DoubleValue();
  if (!(nv >= 0 && nv == static_cast<int64_t>(nv) && nn >= 0 && nn == static_cast<int64_t>(nn) && nn <= 1e9))
    throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: vocab and N must be integers >= 0");
  const int64_t vocab = static_cast<int64_t>(nv), N = static_cast<int64_t>(nn);
  std::vector<measures::Layer64> layers(L);
  for (uint32_t l = 0; l < L; ++l) {
    Napi::Value v = arr.Get(l);
    if (!v.IsObject()) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: each layer must be {weight, bias, rows, cols}");
    Napi::Object o = v.As<Napi::Object>();
    if (!o.Get("rows").IsNumber() || !o.Get("cols").IsNumber()) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: layer rows and cols must be numbers");
    const double r = o.Get("rows").As<Napi::Number>().DoubleValue(), c = o.Get("cols").As<Napi::Number>().DoubleValue();
    if (!(r >= 1 && c >= 1 && r == static_cast<int64_t>(r) && c == static_cast<int64_t>(c) && r * c <= 4e9))
      throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: layer rows and cols must be integers >= 1");
    measures::Layer64& ly = layers[l];
    ly.rows = static_cast<int64_t>(r);
    ly.cols = static_cast<int64_t>(c);
    auto W = typed_array<double>(env, o.Get("weight"), napi_float64_array, "layer weight (Float64Array)");
    if (W.length != static_cast<size_t>(ly.rows * ly.cols)) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: layer weight must have rows * cols values");
    ly.W = W.data;
    Napi::Value bv = o.Get("bias");
    if (!bv.IsNull() && !bv.IsUndefined()) {
      auto B = typed_array<double>(env, bv, napi_float64_array, "layer bias (Float64Array or null)");
      if (B.length != static_cast<size_t>(ly.rows)) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: layer bias must have rows values");
      ly.bias = B.data;
    }
    if (l > 0 && ly.cols != layers[l - 1].rows) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: a layer's cols must equal the previous layer's rows");
  }
  const int32_t* a = nullptr;
  const int32_t* b = nullptr;
  const double* x = nullptr;
  if (!info[4].IsNull() && !info[4].IsUndefined()) {
    auto X = typed_array<double>(env, info[4], napi_float64_array, "x (Float64Array or null)");
    if (X.length != static_cast<size_t>(N * layers[0].cols)) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: x must be N x the first layer's cols");
    x = X.data;
  } else {
    auto A = typed_array<int32_t>(env, info[2], napi_int32_array, "a (Int32Array)");
    auto B = typed_array<int32_t>(env, info[3], napi_int32_array, "b (Int32Array)");
    if (A.length != static_cast<size_t>(N) || B.length != static_cast<size_t>(N)) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: a and b must have N values");
    if (layers[0].cols != 2 * vocab) throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: the first layer of a pair model has 2 * vocab cols");
    for (int64_t i = 0; i < N; ++i)
      if (A.data[i] < 0 || A.data[i] >= vocab || B.data[i] < 0 || B.data[i] >= vocab)
        throw_error(env, Code::INVALID_ARGUMENT, "measuresForward: tokens must be in [0, vocab)");
    a = A.data;
    b = B.data;
  }
  Napi::Array out = Napi::Array::New(env, L);
  std::vector<double*> pre(L);
  for (uint32_t l = 0; l < L; ++l) {
    Napi::Float64Array z = Napi::Float64Array::New(env, static_cast<size_t>(N * layers[l].rows));
    pre[l] = z.Data();
    out.Set(l, z);
  }
  measures::forward_f64(layers.data(), static_cast<int32_t>(L), vocab, a, b, x, N, pre.data());
  return out;
}

}  // namespace

void init_measures(Napi::Env env, Napi::Object exports) {
  exports.Set("measuresGram", Napi::Function::New(env, MeasuresGram));
  exports.Set("measuresFirstLayerBelow", Napi::Function::New(env, MeasuresFirstLayerBelow));
  exports.Set("measuresForward", Napi::Function::New(env, MeasuresForward));
}

}  // namespace grokinfo::bind
