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

}  // namespace

void init_measures(Napi::Env env, Napi::Object exports) {
  exports.Set("measuresGram", Napi::Function::New(env, MeasuresGram));
}

}  // namespace grokinfo::bind
