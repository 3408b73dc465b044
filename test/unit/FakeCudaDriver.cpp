#include "FakeCudaDriver.h"

#include "runtime/session/SyntheticState.h"

#include <chrono>
#include <cstdlib>
#include <memory>

namespace ds4 {
namespace test {

namespace {

FakeCuda *gFake = nullptr;

using Op = std::function<void()>;

struct Stream {
  bool capturing = false, invalidated = false;
  std::vector<Op> captured;
};
struct Function {
  std::string name;
  const FakeCuda::Kernel *kernel = nullptr;
};
struct Module {
  std::string text;
  std::map<std::string, std::unique_ptr<Function>> functions;
};
struct Event {
  double ms = 0;
};
struct Graph {
  std::vector<Op> ops;
};

std::set<Function *> gFunctions; // of loaded modules

double nowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The injected failure of `function`, once.
bool injected(const char *function, CUresult &result) {
  auto it = gFake->failures.find(function);
  if (it == gFake->failures.end())
    return false;
  result = it->second;
  gFake->failures.erase(it);
  return true;
}
#define FAKE_INJECT(name)                                                                          \
  do {                                                                                             \
    CUresult injectedResult;                                                                       \
    if (injected(name, injectedResult))                                                            \
      return injectedResult;                                                                       \
  } while (0)

/// Runs `op` now, or records it when `stream` is capturing.
CUresult submit(CUstream stream, Op op) {
  Stream *s = reinterpret_cast<Stream *>(stream);
  if (s && !gFake->streams.count(s))
    return CUDA_ERROR_INVALID_HANDLE;
  if (s && s->capturing) {
    s->captured.push_back(std::move(op));
    return CUDA_SUCCESS;
  }
  op();
  return CUDA_SUCCESS;
}

/// Whether [address, address + bytes) lies inside one live allocation.
bool deviceRange(CUdeviceptr address, size_t bytes) {
  auto it = gFake->allocations.upper_bound(uint64_t(address));
  if (it == gFake->allocations.begin())
    return false;
  --it;
  return uint64_t(address) + bytes <= it->first + it->second;
}

/// An operation the driver refuses while a stream captures (it invalidates the capture).
CUresult refusedWhileCapturing() {
  for (void *p : gFake->streams)
    static_cast<Stream *>(p)->invalidated |= static_cast<Stream *>(p)->capturing;
  return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
}

CUresult getErrorName(CUresult r, const char **out) {
  switch (r) {
#define FAKE_NAME(x)                                                                               \
  case x:                                                                                          \
    *out = #x;                                                                                     \
    return CUDA_SUCCESS;
    FAKE_NAME(CUDA_SUCCESS)
    FAKE_NAME(CUDA_ERROR_INVALID_VALUE)
    FAKE_NAME(CUDA_ERROR_OUT_OF_MEMORY)
    FAKE_NAME(CUDA_ERROR_NO_DEVICE)
    FAKE_NAME(CUDA_ERROR_INVALID_PTX)
    FAKE_NAME(CUDA_ERROR_NOT_FOUND)
    FAKE_NAME(CUDA_ERROR_INVALID_HANDLE)
    FAKE_NAME(CUDA_ERROR_LAUNCH_FAILED)
    FAKE_NAME(CUDA_ERROR_ILLEGAL_STATE)
    FAKE_NAME(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)
    FAKE_NAME(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED)
#undef FAKE_NAME
  default:
    *out = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult getErrorString(CUresult r, const char **out) {
  const char *name = nullptr;
  if (getErrorName(r, &name) != CUDA_SUCCESS)
    return CUDA_ERROR_INVALID_VALUE;
  *out = "fake driver error";
  return CUDA_SUCCESS;
}

CUresult init(unsigned int) {
  FAKE_INJECT("cuInit");
  return gFake->initResult;
}
CUresult driverGetVersion(int *v) {
  *v = CUDA_VERSION;
  return CUDA_SUCCESS;
}
CUresult deviceGetCount(int *n) {
  FAKE_INJECT("cuDeviceGetCount");
  *n = gFake->deviceCount;
  return CUDA_SUCCESS;
}
CUresult deviceGet(CUdevice *d, int ordinal) {
  if (ordinal >= gFake->deviceCount)
    return CUDA_ERROR_INVALID_VALUE;
  *d = ordinal;
  return CUDA_SUCCESS;
}
CUresult deviceGetName(char *name, int len, CUdevice) {
  std::snprintf(name, size_t(len), "%s", "Fake H200");
  return CUDA_SUCCESS;
}
CUresult deviceGetAttribute(int *v, CUdevice_attribute a, CUdevice) {
  switch (a) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *v = gFake->computeMajor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *v = gFake->computeMinor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
    *v = 227 * 1024;
    return CUDA_SUCCESS;
  default:
    return CUDA_ERROR_INVALID_VALUE;
  }
}
CUresult deviceTotalMem(size_t *bytes, CUdevice) {
  *bytes = size_t(gFake->memoryLimit);
  return CUDA_SUCCESS;
}
CUresult primaryCtxRetain(CUcontext *c, CUdevice) {
  FAKE_INJECT("cuDevicePrimaryCtxRetain");
  ++gFake->retained;
  *c = reinterpret_cast<CUcontext>(gFake);
  return CUDA_SUCCESS;
}
CUresult primaryCtxRelease(CUdevice) {
  --gFake->retained;
  return CUDA_SUCCESS;
}
CUresult ctxSetCurrent(CUcontext) { return CUDA_SUCCESS; }

CUresult streamCreate(CUstream *s, unsigned int) {
  Stream *stream = new Stream;
  gFake->streams.insert(stream);
  *s = reinterpret_cast<CUstream>(stream);
  return CUDA_SUCCESS;
}
CUresult streamDestroy(CUstream s) {
  if (!gFake->streams.erase(s))
    return CUDA_ERROR_INVALID_HANDLE;
  delete reinterpret_cast<Stream *>(s);
  return CUDA_SUCCESS;
}
CUresult streamSynchronize(CUstream s) {
  FAKE_INJECT("cuStreamSynchronize");
  Stream *stream = reinterpret_cast<Stream *>(s);
  if (stream && stream->capturing)
    return refusedWhileCapturing();
  return CUDA_SUCCESS;
}
CUresult streamBeginCapture(CUstream s, CUstreamCaptureMode) {
  FAKE_INJECT("cuStreamBeginCapture");
  Stream *stream = reinterpret_cast<Stream *>(s);
  if (!stream || stream->capturing)
    return CUDA_ERROR_ILLEGAL_STATE;
  stream->capturing = true;
  stream->invalidated = false;
  stream->captured.clear();
  return CUDA_SUCCESS;
}
CUresult streamEndCapture(CUstream s, CUgraph *g) {
  Stream *stream = reinterpret_cast<Stream *>(s);
  if (!stream || !stream->capturing)
    return CUDA_ERROR_ILLEGAL_STATE;
  stream->capturing = false;
  *g = nullptr;
  if (stream->invalidated)
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  FAKE_INJECT("cuStreamEndCapture");
  Graph *graph = new Graph{std::move(stream->captured)};
  gFake->graphs.insert(graph);
  *g = reinterpret_cast<CUgraph>(graph);
  return CUDA_SUCCESS;
}
CUresult graphInstantiate(CUgraphExec *e, CUgraph g, unsigned long long) {
  FAKE_INJECT("cuGraphInstantiateWithFlags");
  if (!gFake->graphs.count(g))
    return CUDA_ERROR_INVALID_HANDLE;
  Graph *exec = new Graph(*reinterpret_cast<Graph *>(g));
  gFake->graphExecs.insert(exec);
  *e = reinterpret_cast<CUgraphExec>(exec);
  return CUDA_SUCCESS;
}
CUresult graphLaunch(CUgraphExec e, CUstream s) {
  FAKE_INJECT("cuGraphLaunch");
  if (!gFake->graphExecs.count(e))
    return CUDA_ERROR_INVALID_HANDLE;
  Stream *stream = reinterpret_cast<Stream *>(s);
  if (stream && stream->capturing)
    return refusedWhileCapturing();
  ++gFake->graphLaunches;
  for (const Op &op : reinterpret_cast<Graph *>(e)->ops)
    op();
  return CUDA_SUCCESS;
}
CUresult graphDestroy(CUgraph g) {
  if (!gFake->graphs.erase(g))
    return CUDA_ERROR_INVALID_HANDLE;
  delete reinterpret_cast<Graph *>(g);
  return CUDA_SUCCESS;
}
CUresult graphExecDestroy(CUgraphExec e) {
  if (!gFake->graphExecs.erase(e))
    return CUDA_ERROR_INVALID_HANDLE;
  delete reinterpret_cast<Graph *>(e);
  return CUDA_SUCCESS;
}

CUresult eventCreate(CUevent *e, unsigned int) {
  Event *event = new Event;
  gFake->events.insert(event);
  *e = reinterpret_cast<CUevent>(event);
  return CUDA_SUCCESS;
}
CUresult eventRecord(CUevent e, CUstream s) {
  if (!gFake->events.count(e))
    return CUDA_ERROR_INVALID_HANDLE;
  Event *event = reinterpret_cast<Event *>(e);
  return submit(s, [event] { event->ms = nowMs(); });
}
CUresult eventSynchronize(CUevent e) {
  return gFake->events.count(e) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}
CUresult eventElapsedTime(float *ms, CUevent start, CUevent end) {
  if (!gFake->events.count(start) || !gFake->events.count(end))
    return CUDA_ERROR_INVALID_HANDLE;
  *ms = float(reinterpret_cast<Event *>(end)->ms - reinterpret_cast<Event *>(start)->ms);
  return CUDA_SUCCESS;
}
CUresult eventDestroy(CUevent e) {
  if (!gFake->events.erase(e))
    return CUDA_ERROR_INVALID_HANDLE;
  delete reinterpret_cast<Event *>(e);
  return CUDA_SUCCESS;
}

CUresult moduleLoadDataEx(CUmodule *m, const void *image, unsigned int n, CUjit_option *options,
                          void **values) {
  FAKE_INJECT("cuModuleLoadData");
  std::string text(static_cast<const char *>(image));
  if (text.find(".version") == std::string::npos || text.find(".target") == std::string::npos) {
    for (unsigned i = 0; i < n; ++i)
      if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
        std::snprintf(static_cast<char *>(values[i]), 64, "%s",
                      "ptxas fatal : fake: no .version/.target\n");
    return CUDA_ERROR_INVALID_PTX;
  }
  Module *module = new Module{std::move(text), {}};
  gFake->modules.insert(module);
  *m = reinterpret_cast<CUmodule>(module);
  return CUDA_SUCCESS;
}
CUresult moduleLoadData(CUmodule *m, const void *image) {
  return moduleLoadDataEx(m, image, 0, nullptr, nullptr);
}
CUresult moduleUnload(CUmodule m) {
  if (!gFake->modules.erase(m))
    return CUDA_ERROR_INVALID_HANDLE;
  Module *module = reinterpret_cast<Module *>(m);
  for (auto &f : module->functions)
    gFunctions.erase(f.second.get());
  delete module;
  return CUDA_SUCCESS;
}
CUresult moduleGetFunction(CUfunction *f, CUmodule m, const char *name) {
  if (!gFake->modules.count(m))
    return CUDA_ERROR_INVALID_HANDLE;
  Module *module = reinterpret_cast<Module *>(m);
  auto kernel = gFake->kernels.find(name);
  if (module->text.find(std::string(".entry ") + name + "(") == std::string::npos ||
      kernel == gFake->kernels.end())
    return CUDA_ERROR_NOT_FOUND;
  std::unique_ptr<Function> &slot = module->functions[name];
  if (!slot) {
    slot = std::make_unique<Function>(Function{name, &kernel->second});
    gFunctions.insert(slot.get());
  }
  *f = reinterpret_cast<CUfunction>(slot.get());
  return CUDA_SUCCESS;
}
CUresult funcSetAttribute(CUfunction f, CUfunction_attribute, int) {
  return gFunctions.count(reinterpret_cast<Function *>(f)) ? CUDA_SUCCESS
                                                           : CUDA_ERROR_INVALID_HANDLE;
}
CUresult launchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                      unsigned by, unsigned bz, unsigned, CUstream s, void **params, void **) {
  FAKE_INJECT("cuLaunchKernel");
  Function *function = reinterpret_cast<Function *>(f);
  if (!gFunctions.count(function))
    return CUDA_ERROR_INVALID_HANDLE;
  if (gx == 0 || bx == 0 || gy != 1 || gz != 1 || by != 1 || bz != 1)
    return CUDA_ERROR_INVALID_VALUE; // the fake runs 1-D launches only
  // The driver copies the argument values at launch.
  const FakeCuda::Kernel *kernel = function->kernel;
  std::vector<std::vector<uint8_t>> values;
  for (size_t i = 0; i < kernel->paramBytes.size(); ++i) {
    const uint8_t *p = static_cast<const uint8_t *>(params[i]);
    values.emplace_back(p, p + kernel->paramBytes[i]);
  }
  uint64_t threads = uint64_t(gx) * bx;
  ++gFake->kernelLaunches;
  std::string name = function->name;
  return submit(s, [kernel, values, threads, name]() mutable {
    gFake->launchedKernels.push_back(name);
    std::vector<void *> pointers;
    for (auto &v : values)
      pointers.push_back(v.data());
    for (uint64_t t = 0; t < threads; ++t)
      kernel->body(t, pointers.data());
  });
}

CUresult memAlloc(CUdeviceptr *p, size_t bytes) {
  FAKE_INJECT("cuMemAlloc");
  ++gFake->allocCalls;
  if (gFake->capturing())
    return refusedWhileCapturing();
  uint64_t live = 0;
  for (auto &a : gFake->allocations)
    live += a.second;
  if (bytes == 0 || live + bytes > gFake->memoryLimit)
    return bytes == 0 ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_OUT_OF_MEMORY;
  void *memory = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!memory)
    return CUDA_ERROR_OUT_OF_MEMORY;
  std::memset(memory, 0xA5, bytes); // like the device: not zero
  *p = CUdeviceptr(reinterpret_cast<uintptr_t>(memory));
  gFake->allocations[uint64_t(*p)] = bytes;
  return CUDA_SUCCESS;
}
CUresult memFree(CUdeviceptr p) {
  if (gFake->capturing())
    return refusedWhileCapturing();
  if (!gFake->allocations.erase(uint64_t(p)))
    return CUDA_ERROR_INVALID_VALUE;
  std::free(reinterpret_cast<void *>(uintptr_t(p)));
  return CUDA_SUCCESS;
}
CUresult memcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes, CUstream s) {
  FAKE_INJECT("cuMemcpyHtoDAsync");
  if (!deviceRange(dst, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  return submit(s, [=] { std::memcpy(reinterpret_cast<void *>(uintptr_t(dst)), src, bytes); });
}
CUresult memcpyDtoH(void *dst, CUdeviceptr src, size_t bytes, CUstream s) {
  FAKE_INJECT("cuMemcpyDtoHAsync");
  if (!deviceRange(src, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  return submit(s, [=] { std::memcpy(dst, reinterpret_cast<void *>(uintptr_t(src)), bytes); });
}
CUresult memcpyDtoD(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s) {
  FAKE_INJECT("cuMemcpyAsync");
  if (!deviceRange(dst, bytes) || !deviceRange(src, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  return submit(s, [=] {
    std::memmove(reinterpret_cast<void *>(uintptr_t(dst)),
                 reinterpret_cast<void *>(uintptr_t(src)), bytes);
  });
}
CUresult memsetD32(CUdeviceptr dst, unsigned int value, size_t count, CUstream s) {
  FAKE_INJECT("cuMemsetD32Async");
  if (!deviceRange(dst, count * 4))
    return CUDA_ERROR_INVALID_VALUE;
  return submit(s, [=] {
    uint32_t *p = reinterpret_cast<uint32_t *>(uintptr_t(dst));
    for (size_t i = 0; i < count; ++i)
      p[i] = value;
  });
}
CUresult memsetD16(CUdeviceptr dst, unsigned short value, size_t count, CUstream s) {
  FAKE_INJECT("cuMemsetD16Async");
  if (!deviceRange(dst, count * 2))
    return CUDA_ERROR_INVALID_VALUE;
  return submit(s, [=] {
    uint16_t *p = reinterpret_cast<uint16_t *>(uintptr_t(dst));
    for (size_t i = 0; i < count; ++i)
      p[i] = value;
  });
}

} // namespace

bool FakeCuda::capturing() const {
  for (void *p : streams)
    if (static_cast<Stream *>(p)->capturing)
      return true;
  return false;
}

FakeCuda::FakeCuda() {
  gFake = this;
  session::cuda::CudaDriver &d = driver_;
  d.cuGetErrorName = &getErrorName;
  d.cuGetErrorString = &getErrorString;
  d.cuInit = &init;
  d.cuDriverGetVersion = &driverGetVersion;
  d.cuDeviceGetCount = &deviceGetCount;
  d.cuDeviceGet = &deviceGet;
  d.cuDeviceGetName = &deviceGetName;
  d.cuDeviceGetAttribute = &deviceGetAttribute;
  d.cuDeviceTotalMem = &deviceTotalMem;
  d.cuDevicePrimaryCtxRetain = &primaryCtxRetain;
  d.cuDevicePrimaryCtxRelease = &primaryCtxRelease;
  d.cuCtxSetCurrent = &ctxSetCurrent;
  d.cuStreamCreate = &streamCreate;
  d.cuStreamDestroy = &streamDestroy;
  d.cuStreamSynchronize = &streamSynchronize;
  d.cuStreamBeginCapture = &streamBeginCapture;
  d.cuStreamEndCapture = &streamEndCapture;
  d.cuGraphInstantiateWithFlags = &graphInstantiate;
  d.cuGraphLaunch = &graphLaunch;
  d.cuGraphDestroy = &graphDestroy;
  d.cuGraphExecDestroy = &graphExecDestroy;
  d.cuEventCreate = &eventCreate;
  d.cuEventRecord = &eventRecord;
  d.cuEventSynchronize = &eventSynchronize;
  d.cuEventElapsedTime = &eventElapsedTime;
  d.cuEventDestroy = &eventDestroy;
  d.cuModuleLoadData = &moduleLoadData;
  d.cuModuleLoadDataEx = &moduleLoadDataEx;
  d.cuModuleUnload = &moduleUnload;
  d.cuModuleGetFunction = &moduleGetFunction;
  d.cuFuncSetAttribute = &funcSetAttribute;
  d.cuLaunchKernel = &launchKernel;
  d.cuMemAlloc = &memAlloc;
  d.cuMemFree = &memFree;
  d.cuMemcpyHtoDAsync = &memcpyHtoD;
  d.cuMemcpyDtoHAsync = &memcpyDtoH;
  d.cuMemcpyDtoDAsync = &memcpyDtoD;
  d.cuMemcpyAsync = &memcpyDtoD;
  d.cuMemsetD32Async = &memsetD32;
  d.cuMemsetD16Async = &memsetD16;
  session::cuda::setCudaDriverForTesting(&driver_);
}

FakeCuda::~FakeCuda() {
  session::cuda::setCudaDriverForTesting(nullptr);
  for (auto &a : allocations)
    std::free(reinterpret_cast<void *>(uintptr_t(a.first)));
  for (void *p : modules)
    delete static_cast<Module *>(p);
  for (void *p : events)
    delete static_cast<Event *>(p);
  for (void *p : graphs)
    delete static_cast<Graph *>(p);
  for (void *p : graphExecs)
    delete static_cast<Graph *>(p);
  for (void *p : streams)
    delete static_cast<Stream *>(p);
  gFunctions.clear();
  gFake = nullptr;
}

void addFakeGpuKernels(FakeCuda &cuda) {
  constexpr size_t P = sizeof(void *), I = sizeof(int32_t);
  cuda.addKernel("ds4_test_iota", {P, I}, [](uint64_t t, void **a) {
    uint32_t *out = fakeParam<uint32_t *>(a, 0);
    if (t < fakeParam<uint32_t>(a, 1))
      out[t] = uint32_t(t);
  });
  cuda.addKernel("ds4_test_add", {P, P, I, I}, [](uint64_t t, void **a) {
    uint32_t *out = fakeParam<uint32_t *>(a, 0);
    const uint32_t *in = fakeParam<const uint32_t *>(a, 1);
    if (t < fakeParam<uint32_t>(a, 3))
      out[t] = in[t] + fakeParam<uint32_t>(a, 2);
  });
  // The runtime's own (runtime/session/cuda/RuntimeKernels.h): a grid-stride loop, so one
  // thread may as well do all of it.
  cuda.addKernel("ds4_fill_random", {P, 8, 8}, [](uint64_t t, void **a) {
    float *out = fakeParam<float *>(a, 0);
    uint64_t n = fakeParam<uint64_t>(a, 1), seed = fakeParam<uint64_t>(a, 2);
    for (uint64_t i = 0; t == 0 && i < n; ++i)
      out[i] = session::syntheticStateValue(seed, i);
  });
  // FakeGpuHostPlan.c's kernels (their CUDA source is in that file).
  cuda.addKernel("ds4_fake_prev", {P, P, P, P, I, I, I}, [](uint64_t t, void **a) {
    const int64_t *positions = fakeParam<const int64_t *>(a, 0);
    const int32_t *slots = fakeParam<const int32_t *>(a, 1);
    const float *window = fakeParam<const float *>(a, 2);
    float *scratch = fakeParam<float *>(a, 3);
    int32_t count = fakeParam<int32_t>(a, 4), n = fakeParam<int32_t>(a, 5),
            rows = fakeParam<int32_t>(a, 6);
    int64_t r = int64_t(t);
    if (r >= n)
      return;
    int64_t s = slots[r / count];
    int64_t row = (positions[r] + rows - 1) % rows;
    scratch[r * 8 + 4] = window[(s * rows + row) * 2];
  });
  cuda.addKernel("ds4_fake_rows", {P, P, P, P, P, P, I, I, I}, [](uint64_t t, void **a) {
    const int32_t *tokens = fakeParam<const int32_t *>(a, 0);
    const int64_t *positions = fakeParam<const int64_t *>(a, 1);
    const int32_t *slots = fakeParam<const int32_t *>(a, 2);
    const uint8_t *arena = fakeParam<const uint8_t *>(a, 3);
    float *window = fakeParam<float *>(a, 4);
    float *scratch = fakeParam<float *>(a, 5);
    int32_t count = fakeParam<int32_t>(a, 6), n = fakeParam<int32_t>(a, 7),
            rows = fakeParam<int32_t>(a, 8);
    int64_t r = int64_t(t);
    if (r >= n)
      return;
    int32_t k = tokens[r];
    int64_t p = positions[r];
    int64_t s = slots[r / count];
    scratch[r * 8 + 0] = float(p);
    scratch[r * 8 + 1] = float(s);
    scratch[r * 8 + 2] = float(k);
    scratch[r * 8 + 3] = float(arena[k]);
    scratch[r * 8 + 6] = float(arena[128 + k]);
    float *w = window + (s * rows + p % rows) * 2;
    w[0] = float(k);
    w[1] = float(p + 1);
  });
  cuda.addKernel("ds4_fake_emit", {P, P, P, I, I}, [](uint64_t t, void **a) {
    const float *copy = fakeParam<const float *>(a, 0);
    const float *ones = fakeParam<const float *>(a, 1);
    float *logits = fakeParam<float *>(a, 2);
    int32_t n = fakeParam<int32_t>(a, 3), vocab = fakeParam<int32_t>(a, 4);
    int64_t i = int64_t(t);
    if (i >= int64_t(n) * vocab)
      return;
    int64_t r = i / vocab, v = i % vocab;
    logits[i] = v < 7 ? copy[r * 8 + v] : v == 7 ? ones[r * 8] : 0.5f * float(v);
  });
}

} // namespace test
} // namespace ds4
