#include "runtime/session/cuda/GpuExecution.h"

#include <cstdio>

namespace ds4 {
namespace session {
namespace cuda {

namespace {
/// Dynamic shared memory a kernel may use without raising its limit.
constexpr unsigned kDefaultSharedLimit = 48 * 1024;
} // namespace

GpuExecution::GpuExecution(const CudaDriver &driver, CUstream stream, int maxSharedOptin)
    : driver_(driver), stream_(stream), maxSharedOptin_(maxSharedOptin) {}

GpuExecution::~GpuExecution() {
  for (CUmodule m : modules_)
    driver_.cuModuleUnload(m);
  for (CUevent e : events_)
    driver_.cuEventDestroy(e);
}

void GpuExecution::fail(std::string message) {
  if (failed_)
    return;
  failed_ = true;
  error_ = std::move(message);
}

bool GpuExecution::check(CUresult result, const char *call, const std::string &where) {
  if (result == CUDA_SUCCESS)
    return true;
  fail(where + ": " + call + " failed: " + driver_.describe(result));
  return false;
}

void GpuExecution::clearError() {
  failed_ = false;
  error_.clear();
}

std::string GpuExecution::functionName(CUfunction function) const {
  auto it = names_.find(function);
  if (it != names_.end())
    return "'" + it->second + "'";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%p", static_cast<void *>(function));
  return std::string("function ") + buffer;
}

CUevent GpuExecution::event(size_t i) {
  while (events_.size() <= i) {
    CUevent e = nullptr;
    if (!check(driver_.cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate",
               "profiling kernels"))
      return nullptr;
    events_.push_back(e);
  }
  return events_[i];
}

void GpuExecution::launch(CUfunction function, const unsigned grid[3], const unsigned block[3],
                          unsigned sharedBytes, void **params, void **extra) {
  std::string where = "mgpuLaunchKernel(" + functionName(function) + ")";
  if (sharedBytes > kDefaultSharedLimit && sharedBytes > sharedLimit_[function]) {
    if (maxSharedOptin_ > 0 && sharedBytes > unsigned(maxSharedOptin_)) {
      fail(where + ": " + std::to_string(sharedBytes) +
           " bytes of dynamic shared memory exceed the device's " +
           std::to_string(maxSharedOptin_) + " per block");
      return;
    }
    if (!check(driver_.cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                          int(sharedBytes)),
               "cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)", where))
      return;
    sharedLimit_[function] = sharedBytes;
  }
  size_t first = 2 * launches_.size();
  CUevent start = nullptr, end = nullptr;
  if (profiling_) {
    start = event(first);
    end = event(first + 1);
    if (!start || !end || !check(driver_.cuEventRecord(start, stream_), "cuEventRecord", where))
      return;
  }
  if (!check(driver_.cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1],
                                    block[2], sharedBytes, stream_, params, extra),
             "cuLaunchKernel", where))
    return;
  if (profiling_) {
    if (!check(driver_.cuEventRecord(end, stream_), "cuEventRecord", where))
      return;
    launches_.push_back({function, first});
  }
}

Expected<std::vector<KernelTiming>> GpuExecution::takeKernelTimings() {
  std::vector<KernelTiming> out;
  std::map<CUfunction, size_t> index;
  for (const Launch &l : launches_) {
    float ms = 0;
    Status s = driver_.check(
        driver_.cuEventElapsedTime(&ms, events_[l.firstEvent], events_[l.firstEvent + 1]),
        "cuEventElapsedTime");
    if (!s.ok()) {
      launches_.clear();
      return Status::error("profiling kernels: " + s.message());
    }
    auto it = index.emplace(l.function, out.size());
    if (it.second) {
      auto named = names_.find(l.function);
      out.push_back({named != names_.end() ? named->second : functionName(l.function), 0, 0.0});
    }
    KernelTiming &k = out[it.first->second];
    ++k.launches;
    k.milliseconds += double(ms);
  }
  launches_.clear();
  return out;
}

} // namespace cuda
} // namespace session
} // namespace ds4
