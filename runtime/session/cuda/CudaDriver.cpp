#include "runtime/session/cuda/CudaDriver.h"

#include "runtime/session/Session.h"

#include <atomic>
#include <cstring>
#include <mutex>

#include <dlfcn.h>

namespace ds4 {
namespace session {
namespace cuda {

namespace {

#define DS4_CUDA_STRINGIFY_EXPANDED(x) DS4_CUDA_STRINGIFY(x)
#define DS4_CUDA_STRINGIFY(x) #x

/// Older names with the same signature, tried when a driver predates the versioned symbol
/// (cuEventElapsedTime_v2 only changed which events it accepts; it is new in CUDA 12.8).
const char *fallbackName(const char *name) {
  if (std::strcmp(name, "cuEventElapsedTime_v2") == 0)
    return "cuEventElapsedTime";
  return nullptr;
}

std::atomic<const CudaDriver *> gTestDriver{nullptr};

} // namespace

std::string CudaDriver::describe(CUresult result) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName && cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (cuGetErrorString && cuGetErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  // The toolkit's stub libcuda answers everything, cuGetErrorName included, with this.
  if (!name && result == CUDA_ERROR_STUB_LIBRARY)
    return "CUDA_ERROR_STUB_LIBRARY (the libcuda.so.1 found is the CUDA toolkit's stub, not a "
           "driver)";
  std::string out = name ? name : "CUresult " + std::to_string(int(result));
  if (text && *text)
    out += std::string(" (") + text + ")";
  return out;
}

Status CudaDriver::check(CUresult result, const char *call) const {
  if (result == CUDA_SUCCESS)
    return Status::success();
  return Status::error(std::string(call) + " failed: " + describe(result));
}

Expected<const CudaDriver *> loadCudaDriver() {
  if (const CudaDriver *test = gTestDriver.load())
    return test;
  static std::once_flag once;
  static CudaDriver driver;
  static Status loaded;
  std::call_once(once, [] {
    // Kept loaded for the life of the process: the driver does not support being unloaded.
    void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      loaded = Status::error(kNoCudaDriverMessage);
      return;
    }
    Status missing;
    auto resolve = [&](void *&slot, const char *name) {
      slot = dlsym(handle, name);
      if (!slot)
        if (const char *older = fallbackName(name))
          slot = dlsym(handle, older);
      if (!slot)
        missing.append(std::string("the CUDA driver (libcuda.so.1) lacks ") + name +
                       ", which this runtime needs (built against CUDA " +
                       std::to_string(CUDA_VERSION / 1000) + "." +
                       std::to_string(CUDA_VERSION % 1000 / 10) + " headers): update the driver");
    };
#define DS4_CUDA_RESOLVE(function)                                                                 \
  resolve(reinterpret_cast<void *&>(driver.function), DS4_CUDA_STRINGIFY_EXPANDED(function));
    DS4_CUDA_DRIVER_FUNCTIONS(DS4_CUDA_RESOLVE)
#undef DS4_CUDA_RESOLVE
    loaded = std::move(missing);
  });
  if (!loaded.ok())
    return loaded;
  return &driver;
}

void setCudaDriverForTesting(const CudaDriver *driver) { gTestDriver.store(driver); }

} // namespace cuda
} // namespace session
} // namespace ds4
