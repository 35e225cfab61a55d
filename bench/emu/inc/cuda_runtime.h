// Fake CUDA runtime for a host-side SIMT emulation of the kernels (desk review only).
#pragma once
#include <math.h>
#include <barrier>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <thread>
#include <vector>
#include <memory>
#include <tuple>
#include <functional>
struct dim3 { unsigned x = 1, y = 1, z = 1; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
typedef int cudaError_t;
enum { cudaSuccess = 0 };
typedef void* cudaStream_t;
#define cudaStreamNonBlocking 1
inline const char* cudaGetErrorString(cudaError_t) { return "emu"; }
inline cudaError_t cudaGetLastError() { return 0; }
inline cudaError_t cudaMalloc(void** p, size_t n) { *p = malloc(n); return 0; }
inline cudaError_t cudaFree(void* p) { free(p); return 0; }
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) { memcpy(d, s, n); return 0; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { *s = (void*)1; return 0; }
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return 0; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return 0; }
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__ static
#define __align__(x) alignas(x)
extern thread_local dim3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;
struct EmuBlock {
  std::unique_ptr<std::barrier<>> bar;
  std::vector<std::unique_ptr<std::barrier<>>> wbar;
  std::vector<uint64_t> xch;
  std::vector<unsigned char> dyn;
};
extern EmuBlock g_emu;
inline void __syncthreads() { g_emu.bar->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { g_emu.wbar[threadIdx.x >> 5]->arrive_and_wait(); }
template <class T> T __shfl_sync(unsigned, T v, int src) {
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  memcpy(&g_emu.xch[w * 32 + lane], &v, sizeof(T));
  g_emu.wbar[w]->arrive_and_wait();
  T r; memcpy(&r, &g_emu.xch[w * 32 + (src & 31)], sizeof(T));
  g_emu.wbar[w]->arrive_and_wait();
  return r;
}
template <class T> T __shfl_xor_sync(unsigned m, T v, int o) { return __shfl_sync(m, v, (int)((threadIdx.x & 31) ^ o)); }
template <class T> T __ldg(const T* p) { return *p; }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
template <class T> T min(T a, T b) { return b < a ? b : a; }
template <class T> T max(T a, T b) { return a < b ? b : a; }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return std::atomic_ref<unsigned>(*p).fetch_add(v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return std::atomic_ref<unsigned long long>(*p).fetch_add(v); }
inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
  std::atomic_ref<unsigned long long> a(*p); unsigned long long c = a.load();
  while (v < c && !a.compare_exchange_weak(c, v)) {}
  return c;
}
// Runs one block of n threads of f() (dynamic smem of `dyn` bytes). The OS threads come from a pool
// that grows to the largest block seen and is reused by every later block (creating 256 threads per
// block dominated the run time); each pool thread plays CUDA thread t of the current block.
struct EmuPool {
  std::vector<std::thread> ts;
  std::atomic<uint64_t> gen{0};
  std::atomic<int> left{0};
  int n = 0;
  dim3 bid;
  std::function<void()> job;
  void worker(int t, uint64_t seen) {  // seen: the generation current when the thread was created
    for (;;) {
      gen.wait(seen);
      seen = gen.load();
      if (t < n) {
        threadIdx = dim3(t); blockIdx = bid;
        job();
        g_emu.wbar[t >> 5]->arrive_and_drop();
        g_emu.bar->arrive_and_drop();
      }
      if (left.fetch_sub(1) == 1) left.notify_all();
    }
  }
  void run(dim3 b, int nthreads, std::function<void()> f) {
    const uint64_t g = gen.load();
    while ((int)ts.size() < nthreads) { const int t = (int)ts.size(); ts.emplace_back([this, t, g] { worker(t, g); }); ts.back().detach(); }
    n = nthreads; bid = b; job = std::move(f);
    left.store((int)ts.size());
    gen.fetch_add(1); gen.notify_all();
    for (int v = left.load(); v != 0; v = left.load()) left.wait(v);
  }
};
inline EmuPool* g_emu_pool = new EmuPool();  // never destroyed: its detached threads outlive main
template <class F> void emu_block(dim3 bid, int n, size_t dyn, F f) {
  g_emu.bar = std::make_unique<std::barrier<>>(n);
  g_emu.wbar.clear();
  for (int w = 0; w < (n + 31) / 32; ++w) g_emu.wbar.push_back(std::make_unique<std::barrier<>>(std::min(32, n - 32 * w)));
  g_emu.xch.assign(((n + 31) / 32) * 32, 0);
  if (g_emu.dyn.size() < dyn) g_emu.dyn.resize(dyn);
  blockDim = dim3(n);
  if (getenv("EMU_SPAWN")) {  // the original scheme: fresh threads per block
    std::vector<std::thread> ts;
    for (int t = 0; t < n; ++t)
      ts.emplace_back([&, t] {
        threadIdx = dim3(t); blockIdx = bid;
        f();
        g_emu.wbar[t >> 5]->arrive_and_drop();
        g_emu.bar->arrive_and_drop();
      });
    for (auto& th : ts) th.join();
    return;
  }
  g_emu_pool->run(bid, n, [&] { f(); });
}
// --- host API used by the launchers
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t = nullptr) { memset(p, v, n); return 0; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return 0; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { memcpy(d, s, n); return 0; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return 0; }
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount, cudaDevAttrMaxSharedMemoryPerBlockOptin };
inline int g_emu_sms = 2;
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) { *v = a == cudaDevAttrMultiProcessorCount ? g_emu_sms : 232448; return 0; }
enum cudaMemoryType { cudaMemoryTypeUnregistered, cudaMemoryTypeHost, cudaMemoryTypeDevice, cudaMemoryTypeManaged };
struct cudaPointerAttributes { cudaMemoryType type; };
inline cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void*) { a->type = cudaMemoryTypeUnregistered; return 0; }
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize };
template <class F> cudaError_t cudaFuncSetAttribute(F, cudaFuncAttribute, int) { return 0; }
template <class F> cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* n, F, int, size_t) { *n = 1; return 0; }
#include <functional>
inline bool g_capture = false;
inline std::vector<std::function<void()>>* g_rec = nullptr;
template <class F> void emu_run(dim3 g, dim3 b, size_t smem, bool seq, F f) {
  gridDim = g;
  for (unsigned z = 0; z < g.z; ++z) for (unsigned y = 0; y < g.y; ++y) for (unsigned x = 0; x < g.x; ++x) {
    if (seq) { blockDim = b; blockIdx = dim3(x, y, z); for (unsigned t = 0; t < b.x; ++t) { threadIdx = dim3(t); f(); } }
    else emu_block(dim3(x, y, z), b.x, smem, f);
  }
}
template <class F> void emu_launch(dim3 g, dim3 b, size_t smem, bool seq, F f) {
  if (g_capture) { g_rec->push_back([=] { emu_run(g, b, smem, seq, f); }); return; }
  emu_run(g, b, smem, seq, f);
}
typedef std::vector<std::function<void()>>* cudaGraph_t;
typedef std::vector<std::function<void()>>* cudaGraphExec_t;
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal, cudaStreamCaptureModeThreadLocal, cudaStreamCaptureModeRelaxed };
inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) { g_capture = true; g_rec = new std::vector<std::function<void()>>(); return 0; }
inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t* g) { g_capture = false; *g = g_rec; g_rec = nullptr; return 0; }
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t* e, cudaGraph_t g, unsigned long long) { *e = new std::vector<std::function<void()>>(*g); return 0; }
inline cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return 0; }
inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { delete e; return 0; }
inline int g_graph_launches = 0;
inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t) { ++g_graph_launches; for (auto& f : *e) f(); return 0; }
