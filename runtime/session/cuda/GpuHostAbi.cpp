#include "runtime/session/cuda/GpuHostAbi.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ds4 {
namespace session {
namespace cuda {

namespace {

thread_local GpuExecution *tCurrent = nullptr;

/// The current execution if calls should do anything: none after the first error.
GpuExecution *active() {
  GpuExecution *e = tCurrent;
  return e && !e->failed() ? e : nullptr;
}

CUdeviceptr devicePtr(void *p) { return CUdeviceptr(reinterpret_cast<uintptr_t>(p)); }

/// The PTX assembler's log as one line.
std::string oneLine(const char *log) {
  std::string s(log);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  for (char &c : s)
    if (c == '\n')
      c = ' ';
  return s;
}

// The functions, with the table's exact signatures (declared from the same X-macro so a
// mismatch does not compile).
#define DS4_DECLARE_ABI_FUNCTION(name, ret, params) ret name params;
DS4_GPU_HOST_ABI_FUNCTIONS(DS4_DECLARE_ABI_FUNCTION)
#undef DS4_DECLARE_ABI_FUNCTION

void *mgpuModuleLoad(void *data, uint64_t size) {
  GpuExecution *e = active();
  if (!e)
    return nullptr;
  if (!data || size == 0) {
    e->fail("mgpuModuleLoad: empty module image");
    return nullptr;
  }
  CUmodule module = nullptr;
  if (!e->check(e->driver().cuModuleLoadData(&module, data), "cuModuleLoadData",
                "mgpuModuleLoad"))
    return nullptr;
  e->addModule(module);
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  GpuExecution *e = active();
  if (!e)
    return nullptr;
  if (!data) {
    e->fail("mgpuModuleLoadJIT: no PTX (null pointer)");
    return nullptr;
  }
  // ptxas explains a rejected module only through its log.
  static constexpr size_t kLogBytes = 8192;
  char log[kLogBytes] = {0};
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {reinterpret_cast<void *>(intptr_t(std::clamp(optLevel, 0, 4))), log,
                    reinterpret_cast<void *>(uintptr_t(kLogBytes))};
  CUmodule module = nullptr;
  CUresult r = e->driver().cuModuleLoadDataEx(&module, data, 3, options, values);
  if (r != CUDA_SUCCESS) {
    log[kLogBytes - 1] = 0;
    e->fail("mgpuModuleLoadJIT: cuModuleLoadDataEx failed: " + e->driver().describe(r) +
            (log[0] ? ": " + oneLine(log) : std::string()));
    return nullptr;
  }
  e->addModule(module);
  return module;
}

void mgpuModuleUnload(void *module) {
  GpuExecution *e = active();
  if (!e || !module)
    return;
  CUmodule m = static_cast<CUmodule>(module);
  if (!e->removeModule(m)) {
    char handle[32];
    std::snprintf(handle, sizeof handle, "%p", module);
    e->fail(std::string("mgpuModuleUnload: module ") + handle +
            " was not loaded by this session");
    return;
  }
  e->check(e->driver().cuModuleUnload(m), "cuModuleUnload", "mgpuModuleUnload");
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  GpuExecution *e = active();
  if (!e)
    return nullptr;
  std::string what = std::string("mgpuModuleGetFunction('") + (name ? name : "(null)") + "')";
  if (!module || !name) {
    e->fail(what + ": " + (module ? "no name" : "no module (did its load fail?)"));
    return nullptr;
  }
  CUfunction f = nullptr;
  if (!e->check(e->driver().cuModuleGetFunction(&f, static_cast<CUmodule>(module), name),
                "cuModuleGetFunction", what))
    return nullptr;
  e->nameFunction(f, name);
  return f;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      void *stream, void **params, void **extra, uint64_t paramCount) {
  (void)stream; // every launch goes to the session stream (see gpu_host_abi.h)
  (void)paramCount;
  GpuExecution *e = active();
  if (!e)
    return;
  if (!function) {
    e->fail("mgpuLaunchKernel: null kernel function (its module or lookup failed, or "
            "ds4_gpu_host_init was not run)");
    return;
  }
  CUfunction f = static_cast<CUfunction>(function);
  intptr_t dims[6] = {gridX, gridY, gridZ, blockX, blockY, blockZ};
  unsigned grid[3], block[3];
  for (int i = 0; i < 6; ++i)
    if (dims[i] < 1 || uint64_t(dims[i]) > UINT32_MAX) {
      e->fail("mgpuLaunchKernel(" + e->functionName(f) + "): grid " + std::to_string(gridX) +
              "x" + std::to_string(gridY) + "x" + std::to_string(gridZ) + ", block " +
              std::to_string(blockX) + "x" + std::to_string(blockY) + "x" +
              std::to_string(blockZ) + ": every dimension must be at least 1");
      return;
    }
  for (int i = 0; i < 3; ++i) {
    grid[i] = unsigned(dims[i]);
    block[i] = unsigned(dims[3 + i]);
  }
  if (smem < 0) {
    e->fail("mgpuLaunchKernel(" + e->functionName(f) + "): negative shared memory size " +
            std::to_string(smem));
    return;
  }
  e->launch(f, grid, block, unsigned(smem), params, extra);
}

void *mgpuStreamCreate() {
  GpuExecution *e = tCurrent;
  return e ? e->stream() : nullptr;
}

void mgpuStreamDestroy(void *stream) { (void)stream; }

// The session synchronizes after the entry call; host code never reads device memory.
void mgpuStreamSynchronize(void *stream) { (void)stream; }

void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared) {
  (void)stream;
  GpuExecution *e = active();
  if (!e)
    return nullptr;
  std::string what = "mgpuMemAlloc(" + std::to_string(sizeBytes) + " bytes)";
  if (isHostShared) {
    e->fail(what + ": host-shared memory is not supported (the host never reads device "
                   "memory)");
    return nullptr;
  }
  if (!e->arena()) {
    e->fail(what + ": no activation arena (called outside an entry call, e.g. from "
                   "ds4_gpu_host_init)");
    return nullptr;
  }
  Expected<uint64_t> p = e->arena()->allocate(sizeBytes);
  if (!p) {
    e->fail(what + ": " + p.status().message());
    return nullptr;
  }
  return reinterpret_cast<void *>(uintptr_t(*p));
}

void mgpuMemFree(void *ptr, void *stream) {
  (void)stream;
  GpuExecution *e = active();
  if (!e || !ptr)
    return;
  if (!e->arena()) {
    e->fail("mgpuMemFree: no activation arena (called outside an entry call)");
    return;
  }
  Status s = e->arena()->free(uint64_t(reinterpret_cast<uintptr_t>(ptr)));
  if (!s.ok())
    e->fail("mgpuMemFree: " + s.message());
}

void mgpuMemcpy(void *dst, void *src, uint64_t sizeBytes, void *stream) {
  (void)stream;
  GpuExecution *e = active();
  if (!e || sizeBytes == 0)
    return;
  e->check(e->driver().cuMemcpyAsync(devicePtr(dst), devicePtr(src), size_t(sizeBytes),
                                     e->stream()),
           "cuMemcpyAsync", "mgpuMemcpy(" + std::to_string(sizeBytes) + " bytes)");
}

void mgpuMemset32(void *dst, uint32_t value, uint64_t count, void *stream) {
  (void)stream;
  GpuExecution *e = active();
  if (!e || count == 0)
    return;
  e->check(e->driver().cuMemsetD32Async(devicePtr(dst), value, size_t(count), e->stream()),
           "cuMemsetD32Async", "mgpuMemset32(" + std::to_string(count) + " words)");
}

void mgpuMemset16(void *dst, uint16_t value, uint64_t count, void *stream) {
  (void)stream;
  GpuExecution *e = active();
  if (!e || count == 0)
    return;
  e->check(e->driver().cuMemsetD16Async(devicePtr(dst), value, size_t(count), e->stream()),
           "cuMemsetD16Async", "mgpuMemset16(" + std::to_string(count) + " halves)");
}

} // namespace

void *gpuHostAbiFunction(ds4_gpu_host_abi_index index) {
  switch (index) {
#define DS4_ABI_CASE(name, ret, params)                                                            \
  case ds4_gpu_host_abi_##name:                                                                    \
    return reinterpret_cast<void *>(&name);
    DS4_GPU_HOST_ABI_FUNCTIONS(DS4_ABI_CASE)
#undef DS4_ABI_CASE
  case DS4_GPU_HOST_ABI_COUNT:
    break;
  }
  return nullptr;
}

void fillGpuHostAbi(void **table) {
  for (int i = 0; i < DS4_GPU_HOST_ABI_COUNT; ++i)
    table[i] = gpuHostAbiFunction(ds4_gpu_host_abi_index(i));
}

ActiveExecution::ActiveExecution(GpuExecution &execution) : previous_(tCurrent) {
  tCurrent = &execution;
}

ActiveExecution::~ActiveExecution() { tCurrent = previous_; }

GpuExecution *currentExecution() { return tCurrent; }

} // namespace cuda
} // namespace session
} // namespace ds4
