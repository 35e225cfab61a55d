// N-API binding of the progress-measure kernels (native/measures.h), used by src/measures/.
#include <string>

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

}  // namespace

void init_measures(Napi::Env env, Napi::Object exports) {
  exports.Set("measuresGram", Napi::Function::New(env, MeasuresGram));
  exports.Set("measuresFirstLayerBelow", Napi::Function::New(env, MeasuresFirstLayerBelow));
}

}  // namespace grokinfo::bind
