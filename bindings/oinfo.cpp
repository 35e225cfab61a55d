#include "binding.h"
namespace grokinfo::bind {
void init_oinfo(Napi::Env, Napi::Object) {}
}
