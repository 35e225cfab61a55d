// N-API binding of the training engine (native/mlp.h): class Trainer.
//   new Trainer({backend, arch, data, batchSize, models}): every arch and model field is required (no
//   defaults here). arch.input 'pairs' (data trainA/trainB/trainY, testA/testB/testY: Int32Array) or
//   'dense' (data trainX/testX: Float32Array n x arch.inputDim, trainY/testY: Int32Array); arch.loss
//   'xent' or 'mse'; batchSize 0 = full batch; models[i].batchSeed the minibatch sampler's seed.
//   step(n, control?) -> Promise<void>          evaluate() -> Promise<EvalResult[]>
//   hidden(model, layer) -> Float32Array          getParams(model) / setParams(model, Float32Array)
//   setMask(model, Uint8Array | null, maskBias)   gradients(model) -> Float32Array (test hook)
//   measure(models, layer, options, control?) -> Promise<MeasureResult[]>: the activations are
//   snapshotted synchronously, so the trainer may step again while the measurement runs.
// One asynchronous operation at a time per trainer: a second one while the first runs is a coded error.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "../native/mlp.h"
#include "../native/mlp_init.h"
#include "../native/oinfo.h"
#include "binding.h"

namespace grokinfo::bind {

namespace {

std::vector<float> float32_vector(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  const std::string what = std::string("data.") + key;
  auto view = typed_array<float>(env, v, napi_float32_array, what.c_str());
  return std::vector<float>(view.data, view.data + view.length);
}

uint64_t seed_of(Napi::Env env, const Napi::Object& m, const char* key, const std::string& what) {
  const double seed = need_number(m, key, what);
  if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != static_cast<double>(static_cast<uint64_t>(seed)))
    throw_error(env, Code::INVALID_ARGUMENT, what + key + " must be an integer in [0, 2^53)");
  return static_cast<uint64_t>(seed);
}

std::vector<int32_t> int32_vector(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  const std::string what = std::string("data.") + key;
  auto view = typed_array<int32_t>(env, v, napi_int32_array, what.c_str());
  return std::vector<int32_t>(view.data, view.data + view.length);
}

Optimizer optimizer_from(Napi::Env env, const std::string& s, size_t i) {
  if (s == "adamw") return Optimizer::AdamW;
  if (s == "adam") return Optimizer::Adam;
  if (s == "sgd") return Optimizer::SGD;
  throw_error(env, Code::INVALID_ARGUMENT,
              "models[" + std::to_string(i) + "].optimizer must be one of 'adamw', 'adam', 'sgd'");
}

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Trainer",
                       {InstanceMethod<&TrainerWrap::Step>("step"),
                        InstanceMethod<&TrainerWrap::Evaluate>("evaluate"),
                        InstanceMethod<&TrainerWrap::Hidden>("hidden"),
                        InstanceMethod<&TrainerWrap::GetParams>("getParams"),
                        InstanceMethod<&TrainerWrap::SetParams>("setParams"),
                        InstanceMethod<&TrainerWrap::SetMask>("setMask"),
                        InstanceMethod<&TrainerWrap::GetMoments>("getMoments"),
                        InstanceMethod<&TrainerWrap::SetMoments>("setMoments"),
                        InstanceMethod<&TrainerWrap::SetStepsDone>("setStepsDone"),
                        InstanceMethod<&TrainerWrap::SetFailed>("setFailed"),
                        InstanceMethod<&TrainerWrap::Gradients>("gradients"),
                        InstanceMethod<&TrainerWrap::Measure>("measure"),
                        InstanceAccessor<&TrainerWrap::ParamCount>("paramCount"),
                        InstanceAccessor<&TrainerWrap::Models>("models"),
                        InstanceAccessor<&TrainerWrap::StepsDone>("stepsDone"),
                        InstanceAccessor<&TrainerWrap::BackendName>("backend")});
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = arg_object(info, 0, "Trainer options");
    const std::string be = get_string(o, "backend", "cpu");
    if (be == "cpu") backend_ = Backend::CPU;
    else if (be == "cuda") backend_ = Backend::CUDA;
    else throw_error(env, Code::INVALID_ARGUMENT, "backend must be 'cpu' or 'cuda'");

    if (!o.Get("arch").IsObject()) throw_error(env, Code::INVALID_ARGUMENT, "arch must be an object");
    Napi::Object a = o.Get("arch").As<Napi::Object>();
    auto int_of = [&](const char* key, const std::string& what) {
      const double d = need_number(a, key, what);
      if (d != static_cast<double>(static_cast<int32_t>(d)))
        throw_error(env, Code::INVALID_ARGUMENT, what + key + " must be an integer");
      return static_cast<int32_t>(d);
    };
    const std::string input = need_string(a, "input", "arch.");
    if (input == "pairs") arch_.input = InputKind::PairOneHot;
    else if (input == "dense") arch_.input = InputKind::Dense;
    else throw_error(env, Code::INVALID_ARGUMENT, "arch.input must be 'pairs' or 'dense'");
    const std::string loss = need_string(a, "loss", "arch.");
    if (loss == "xent") arch_.loss = Loss::CrossEntropy;
    else if (loss == "mse") arch_.loss = Loss::MSE;
    else throw_error(env, Code::INVALID_ARGUMENT, "arch.loss must be 'xent' or 'mse'");
    arch_.vocab = int_of("vocab", "arch.");
    arch_.input_dim = int_of("inputDim", "arch.");
    {
      const double b = need_number(o, "batchSize", "");
      if (!(b >= 0 && b <= 2147483647.0) || b != static_cast<double>(static_cast<int32_t>(b)))
        throw_error(env, Code::INVALID_ARGUMENT, "batchSize must be an integer >= 0 (0 = full batch)");
      arch_.batch_size = static_cast<int32_t>(b);
    }
    arch_.out = int_of("out", "arch.");
    Napi::Value hv = a.Get("hidden");
    if (!hv.IsArray()) throw_error(env, Code::INVALID_ARGUMENT, "arch.hidden is required: an array of widths");
    Napi::Array h = hv.As<Napi::Array>();
    arch_.hidden.clear();
    for (uint32_t i = 0; i < h.Length(); i++) {
      Napi::Value w = h.Get(i);
      if (!w.IsNumber()) throw_error(env, Code::INVALID_ARGUMENT, "arch.hidden must hold integers");
      const double d = w.As<Napi::Number>().DoubleValue();
      if (d != static_cast<double>(static_cast<int32_t>(d)))
        throw_error(env, Code::INVALID_ARGUMENT, "arch.hidden must hold integers in [1, 65536]");
      arch_.hidden.push_back(static_cast<int32_t>(d));
    }
    arch_.bias_first = need_bool(a, "biasFirst", "arch.");
    arch_.bias_hidden = need_bool(a, "biasHidden", "arch.");
    arch_.bias_out = need_bool(a, "biasOut", "arch.");

    if (!o.Get("data").IsObject()) throw_error(env, Code::INVALID_ARGUMENT, "data must be an object");
    Napi::Object d = o.Get("data").As<Napi::Object>();
    TaskData data;
    if (arch_.input == InputKind::Dense) {
      data.train_x = float32_vector(env, d, "trainX");
      data.test_x = float32_vector(env, d, "testX");
    } else {
      data.train_a = int32_vector(env, d, "trainA");
      data.train_b = int32_vector(env, d, "trainB");
      data.test_a = int32_vector(env, d, "testA");
      data.test_b = int32_vector(env, d, "testB");
    }
    data.train_y = int32_vector(env, d, "trainY");
    data.test_y = int32_vector(env, d, "testY");
    ntrain_ = static_cast<int64_t>(data.train_y.size());

    if (!o.Get("models").IsArray()) throw_error(env, Code::INVALID_ARGUMENT, "models must be an array");
    Napi::Array ms = o.Get("models").As<Napi::Array>();
    std::vector<ModelHyper> hyper;
    for (uint32_t i = 0; i < ms.Length(); i++) {
      if (!ms.Get(i).IsObject())
        throw_error(env, Code::INVALID_ARGUMENT, "models[" + std::to_string(i) + "] must be an object");
      Napi::Object m = ms.Get(i).As<Napi::Object>();
      ModelHyper h;
      const std::string what = "models[" + std::to_string(i) + "].";
      h.seed = seed_of(env, m, "seed", what);
      h.batch_seed = seed_of(env, m, "batchSeed", what);
      h.optimizer = optimizer_from(env, need_string(m, "optimizer", what), i);
      h.lr = need_number(m, "lr", what);
      h.weight_decay = need_number(m, "weightDecay", what);
      h.beta1 = need_number(m, "beta1", what);
      h.beta2 = need_number(m, "beta2", what);
      h.eps = need_number(m, "eps", what);
      h.alpha = need_number(m, "alpha", what);
      h.zero_output = need_bool(m, "zeroOutput", what);
      h.constant_norm = need_bool(m, "constantNorm", what);
      h.omnigrok_biases = need_bool(m, "omnigrokBiases", what);
      if (m.Has("initial") && !m.Get("initial").IsUndefined() && !m.Get("initial").IsNull()) {
        if (!m.Get("initial").IsTypedArray() || m.Get("initial").As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
          throw_error(env, Code::INVALID_ARGUMENT, "models[" + std::to_string(i) + "].initial must be a Float32Array");
        Napi::Float32Array a = m.Get("initial").As<Napi::Float32Array>();
        throw_if(env, validate_arch(arch_));
        int64_t np = 0;
        for (const ParamTensor& t : mlp_param_layout(arch_)) np += t.size();
        if (static_cast<int64_t>(a.ElementLength()) != np)
          throw_error(env, Code::INVALID_ARGUMENT, "models[" + std::to_string(i) + "].initial must hold " + std::to_string(np) +
                                                       " parameters (got " + std::to_string(a.ElementLength()) + ")");
        if (!all_finite(a.Data(), np))
          throw_error(env, Code::INVALID_DATA, "models[" + std::to_string(i) + "].initial: parameters must be finite");
        h.initial.assign(a.Data(), a.Data() + np);
      }
      hyper.push_back(h);
    }
    std::unique_ptr<Trainer> t;
    throw_if(env, Trainer::create(backend_, arch_, data, hyper, &t));
    trainer_ = std::shared_ptr<Trainer>(std::move(t));
  }

 private:
  // Marks the trainer busy for the duration of one operation; a second one is a coded error.
  void acquire(Napi::Env env, const char* what) {
    bool expected = false;
    if (!busy_->compare_exchange_strong(expected, true))
      throw_error(env, Code::INVALID_ARGUMENT,
                  std::string(what) + ": the trainer is busy with another operation (await it first)");
  }
  struct Release {
    std::shared_ptr<std::atomic<bool>> flag;
    ~Release() { flag->store(false); }
  };

  int32_t model_arg(const Napi::CallbackInfo& info, size_t i) {
    if (info.Length() <= i || !info[i].IsNumber())
      throw_error(info.Env(), Code::INVALID_ARGUMENT, "model must be an integer index");
    const double d = info[i].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d < trainer_->models()) || d != static_cast<double>(static_cast<int32_t>(d)))
      throw_error(info.Env(), Code::INVALID_ARGUMENT,
                  "model must be an integer in [0, " + std::to_string(trainer_->models() - 1) + "]");
    return static_cast<int32_t>(d);
  }
  int32_t layer_arg(const Napi::CallbackInfo& info, size_t i) {
    const int32_t L = static_cast<int32_t>(arch_.hidden.size());
    if (info.Length() <= i || !info[i].IsNumber())
      throw_error(info.Env(), Code::INVALID_ARGUMENT, "layer must be an integer index");
    const double d = info[i].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d < L) || d != static_cast<double>(static_cast<int32_t>(d)))
      throw_error(info.Env(), Code::INVALID_ARGUMENT, "layer must be an integer in [0, " + std::to_string(L - 1) + "]");
    return static_cast<int32_t>(d);
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw_error(env, Code::INVALID_ARGUMENT, "steps must be an integer >= 0");
    const double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 0 && n <= 2147483647.0) || n != static_cast<double>(static_cast<int32_t>(n)))
      throw_error(env, Code::INVALID_ARGUMENT, "steps must be an integer in [0, 2^31)");
    Control ctl = control_arg(info, 1);
    std::vector<Napi::Value> keep;
    if (info.Length() > 1 && info[1].IsTypedArray()) keep.push_back(info[1]);
    acquire(env, "step");
    auto t = trainer_;
    auto flag = busy_;
    const int32_t steps = static_cast<int32_t>(n);
    return PromiseWorker::run(
        env,
        [t, flag, steps, ctl]() {
          Release r{flag};
          return t->step(steps, ctl);
        },
        nullptr, keep);
  }

  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    acquire(env, "evaluate");
    auto t = trainer_;
    auto flag = busy_;
    auto res = std::make_shared<std::vector<EvalResult>>();
    return PromiseWorker::run(
        env,
        [t, flag, res]() {
          Release r{flag};
          return t->evaluate(*res);
        },
        [res](Napi::Env env) -> Napi::Value {
          Napi::Array arr = Napi::Array::New(env, res->size());
          for (size_t i = 0; i < res->size(); i++) {
            const EvalResult& e = (*res)[i];
            Napi::Object o = Napi::Object::New(env);
            o.Set("trainLoss", e.train_loss);
            o.Set("trainAcc", e.train_acc);
            o.Set("testLoss", e.test_loss);
            o.Set("testAcc", e.test_acc);
            o.Set("weightNorm", e.weight_norm);
            o.Set("failed", e.failed);
            o.Set("failure", e.failed ? Napi::Value(Napi::String::New(env, e.failure)) : env.Null());
            arr.Set(static_cast<uint32_t>(i), o);
          }
          return arr;
        });
  }

  Napi::Value Hidden(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0), layer = layer_arg(info, 1);
    acquire(env, "hidden");
    Release r{busy_};
    Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(ntrain_ * arch_.hidden[layer]));
    throw_if(env, trainer_->hidden(m, layer, out.Data()));
    return out;
  }

  Napi::Value GetParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    acquire(env, "getParams");
    Release r{busy_};
    Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(trainer_->param_count()));
    throw_if(env, trainer_->get_params(m, out.Data()));
    return out;
  }

  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    if (info.Length() < 2) throw_error(env, Code::INVALID_ARGUMENT, "params must be a Float32Array");
    auto v = typed_array<float>(env, info[1], napi_float32_array, "params");
    if (static_cast<int64_t>(v.length) != trainer_->param_count())
      throw_error(env, Code::INVALID_ARGUMENT,
                  "params must hold " + std::to_string(trainer_->param_count()) + " floats (got " +
                      std::to_string(v.length) + ")");
    acquire(env, "setParams");
    Release r{busy_};
    throw_if(env, trainer_->set_params(m, v.data));
    return env.Undefined();
  }

  // getMoments(model) -> {m: Float32Array, v: Float32Array} (parameter layout; zeros for SGD)
  Napi::Value GetMoments(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    acquire(env, "getMoments");
    Release r{busy_};
    const size_t n = static_cast<size_t>(trainer_->param_count());
    Napi::Float32Array a = Napi::Float32Array::New(env, n), b = Napi::Float32Array::New(env, n);
    throw_if(env, trainer_->get_moments(m, a.Data(), b.Data()));
    Napi::Object o = Napi::Object::New(env);
    o.Set("m", a);
    o.Set("v", b);
    return o;
  }

  // setMoments(model, m: Float32Array, v: Float32Array)
  Napi::Value SetMoments(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    if (info.Length() < 3) throw_error(env, Code::INVALID_ARGUMENT, "setMoments(model, m, v): m and v must be Float32Arrays");
    auto a = typed_array<float>(env, info[1], napi_float32_array, "m");
    auto b = typed_array<float>(env, info[2], napi_float32_array, "v");
    if (static_cast<int64_t>(a.length) != trainer_->param_count() || static_cast<int64_t>(b.length) != trainer_->param_count())
      throw_error(env, Code::INVALID_ARGUMENT, "m and v must hold " + std::to_string(trainer_->param_count()) + " floats each");
    acquire(env, "setMoments");
    Release r{busy_};
    throw_if(env, trainer_->set_moments(m, a.data, b.data));
    return env.Undefined();
  }

  Napi::Value SetStepsDone(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw_error(env, Code::INVALID_ARGUMENT, "setStepsDone(steps): steps must be a number");
    const double d = info[0].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d)))
      throw_error(env, Code::INVALID_ARGUMENT, "setStepsDone(steps): steps must be an integer >= 0");
    acquire(env, "setStepsDone");
    Release r{busy_};
    throw_if(env, trainer_->set_steps_done(static_cast<int64_t>(d)));
    return env.Undefined();
  }

  Napi::Value SetFailed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    if (info.Length() < 2 || !info[1].IsString()) throw_error(env, Code::INVALID_ARGUMENT, "setFailed(model, why): why must be a string");
    acquire(env, "setFailed");
    Release r{busy_};
    throw_if(env, trainer_->set_failed(m, info[1].As<Napi::String>().Utf8Value()));
    return env.Undefined();
  }

  Napi::Value SetMask(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    const uint8_t* keep = nullptr;
    if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()) {
      auto v = typed_array<uint8_t>(env, info[1], napi_uint8_array, "keep");
      if (static_cast<int64_t>(v.length) != arch_.hidden[0])
        throw_error(env, Code::INVALID_ARGUMENT,
                    "keep must hold one byte per neuron of hidden layer 0 (" + std::to_string(arch_.hidden[0]) + ")");
      keep = v.data;
    }
    bool mask_bias = false;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsBoolean()) throw_error(env, Code::INVALID_ARGUMENT, "maskBias must be a boolean");
      mask_bias = info[2].As<Napi::Boolean>().Value();
    }
    acquire(env, "setMask");
    Release r{busy_};
    throw_if(env, trainer_->set_mask(m, keep, mask_bias));
    return env.Undefined();
  }

  Napi::Value Gradients(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int32_t m = model_arg(info, 0);
    acquire(env, "gradients");
    Release r{busy_};
    Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(trainer_->param_count()));
    throw_if(env, trainer_->gradients(m, out.Data()));
    return out;
  }

  Napi::Value Measure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) throw_error(env, Code::INVALID_ARGUMENT, "models must be an array of indices");
    Napi::Array ms = info[0].As<Napi::Array>();
    std::vector<int32_t> models;
    for (uint32_t i = 0; i < ms.Length(); i++) {
      Napi::Value v = ms.Get(i);
      const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0 && d < trainer_->models()) || d != static_cast<double>(static_cast<int32_t>(d)))
        throw_error(env, Code::INVALID_ARGUMENT,
                    "models must hold integers in [0, " + std::to_string(trainer_->models() - 1) + "]");
      models.push_back(static_cast<int32_t>(d));
    }
    if (models.empty()) throw_error(env, Code::INVALID_ARGUMENT, "models must not be empty");
    const int32_t layer = layer_arg(info, 1);
    MeasureOptions opt;
    if (info.Length() > 2 && info[2].IsObject()) opt = measure_options_from_js(info[2].As<Napi::Object>());
    Control ctl = control_arg(info, 3);
    std::vector<Napi::Value> keep;
    if (info.Length() > 3 && info[3].IsTypedArray()) keep.push_back(info[3]);
    std::shared_ptr<ActivationBatch> snap;
    {
      acquire(env, "measure");
      Release r{busy_};
      throw_if(env, trainer_->snapshot_hidden(models, layer, &snap));
    }
    const Backend be = backend_;
    auto results = std::make_shared<std::vector<MeasureResult>>();
    return PromiseWorker::run(
        env,
        [snap, be, opt, results, ctl]() {
          return pooled_engine(be)->measure(snap->data, snap->batch, snap->rows, snap->width, opt, *results, ctl);
        },
        [results](Napi::Env env) -> Napi::Value {
          Napi::Array arr = Napi::Array::New(env, results->size());
          for (size_t i = 0; i < results->size(); i++)
            arr.Set(static_cast<uint32_t>(i), measure_result_to_js(env, (*results)[i]));
          return arr;
        },
        keep);
  }

  Napi::Value ParamCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(trainer_->param_count()));
  }
  Napi::Value Models(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), trainer_->models()); }
  Napi::Value StepsDone(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(trainer_->steps_done()));
  }
  Napi::Value BackendName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), backend_ == Backend::CUDA ? "cuda" : "cpu");
  }

  Backend backend_ = Backend::CPU;
  ArchSpec arch_;
  int64_t ntrain_ = 0;
  std::shared_ptr<Trainer> trainer_;
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace

// batchOrder(batchSeed, epoch, n) -> Int32Array: the minibatch sampler's order of the n training samples
// in that epoch (native/mlp_init.h batch_permutation), for tests and tools.
Napi::Value BatchOrder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto num = [&](size_t i, const char* what, double hi) {
    const double d = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= hi) || d != static_cast<double>(static_cast<uint64_t>(d)))
      throw_error(env, Code::INVALID_ARGUMENT, std::string("batchOrder: ") + what + " must be an integer in [0, " +
                                                   (hi > 1e15 ? std::string("2^53)") : std::string("2^30]")));
    return d;
  };
  const uint64_t seed = static_cast<uint64_t>(num(0, "batchSeed", 9007199254740991.0));
  const int64_t epoch = static_cast<int64_t>(num(1, "epoch", 9007199254740991.0));
  const int64_t n = static_cast<int64_t>(num(2, "n", 1073741824.0));
  Napi::Int32Array out = Napi::Int32Array::New(env, static_cast<size_t>(n));
  batch_permutation(seed, epoch, n, out.Data());
  return out;
}

void init_train(Napi::Env env, Napi::Object exports) {
  exports.Set("Trainer", TrainerWrap::define(env));
  exports.Set("batchOrder", Napi::Function::New(env, BatchOrder, "batchOrder"));
}

}  // namespace grokinfo::bind
