#include "binding.h"
namespace grokinfo::bind {
void init_train(Napi::Env, Napi::Object) {}
}
