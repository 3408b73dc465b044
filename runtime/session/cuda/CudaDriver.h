// The CUDA driver API, loaded at run time: libcuda.so.1 is dlopen'ed (never linked), so one
// runtime binary runs on machines without a GPU and says so when asked to use one.
//
// CudaDriver is a table of the driver functions the cuda device uses, typed by cuda.h and
// resolved under the versioned names cuda.h maps them to (cuMemAlloc -> cuMemAlloc_v2, ...),
// so each call has the ABI the header describes. Tests substitute a table of their own (a fake
// driver emulating a device on the host) with setCudaDriverForTesting.
#ifndef DS4_RUNTIME_SESSION_CUDA_CUDADRIVER_H
#define DS4_RUNTIME_SESSION_CUDA_CUDADRIVER_H

#include "runtime/support/Status.h"

#include <cuda.h>

#include <string>

namespace ds4 {
namespace session {
namespace cuda {

/// X(function) for every driver function the runtime calls. cuda.h's macros turn each name
/// into its current versioned symbol, in the field names too (cuMemAlloc names the field
/// cuMemAlloc_v2), which callers never notice.
#define DS4_CUDA_DRIVER_FUNCTIONS(X)                                                               \
  X(cuGetErrorName)                                                                                \
  X(cuGetErrorString)                                                                              \
  X(cuInit)                                                                                        \
  X(cuDriverGetVersion)                                                                            \
  X(cuDeviceGetCount)                                                                              \
  X(cuDeviceGet)                                                                                   \
  X(cuDeviceGetName)                                                                               \
  X(cuDeviceGetAttribute)                                                                          \
  X(cuDeviceTotalMem)                                                                              \
  X(cuDevicePrimaryCtxRetain)                                                                      \
  X(cuDevicePrimaryCtxRelease)                                                                     \
  X(cuCtxSetCurrent)                                                                               \
  X(cuStreamCreate)                                                                                \
  X(cuStreamDestroy)                                                                               \
  X(cuStreamSynchronize)                                                                           \
  X(cuStreamBeginCapture)                                                                          \
  X(cuStreamEndCapture)                                                                            \
  X(cuGraphInstantiateWithFlags)                                                                   \
  X(cuGraphLaunch)                                                                                 \
  X(cuGraphDestroy)                                                                                \
  X(cuGraphExecDestroy)                                                                            \
  X(cuEventCreate)                                                                                 \
  X(cuEventRecord)                                                                                 \
  X(cuEventSynchronize)                                                                            \
  X(cuEventElapsedTime)                                                                            \
  X(cuEventDestroy)                                                                                \
  X(cuModuleLoadData)                                                                              \
  X(cuModuleLoadDataEx)                                                                            \
  X(cuModuleUnload)                                                                                \
  X(cuModuleGetFunction)                                                                           \
  X(cuFuncSetAttribute)                                                                            \
  X(cuLaunchKernel)                                                                                \
  X(cuMemAlloc)                                                                                    \
  X(cuMemFree)                                                                                     \
  X(cuMemcpyHtoDAsync)                                                                             \
  X(cuMemcpyDtoHAsync)                                                                             \
  X(cuMemcpyDtoDAsync)                                                                             \
  X(cuMemcpyAsync)                                                                                 \
  X(cuMemsetD32Async)                                                                              \
  X(cuMemsetD16Async)

struct CudaDriver {
#define DS4_CUDA_DRIVER_FIELD(function) decltype(&::function) function = nullptr;
  DS4_CUDA_DRIVER_FUNCTIONS(DS4_CUDA_DRIVER_FIELD)
#undef DS4_CUDA_DRIVER_FIELD

  /// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)" for a failed result.
  std::string describe(CUresult result) const;
  /// Success, or one line "CALL failed: CUDA_ERROR_... (...)".
  Status check(CUresult result, const char *call) const;
};

/// The process's driver: libcuda.so.1 loaded once (and kept) with every function resolved;
/// or the test driver when one is set. Errors: Session's kNoCudaDriverMessage when libcuda.so.1
/// cannot be loaded; a message naming the missing function when the driver is too old.
Expected<const CudaDriver *> loadCudaDriver();

/// Makes loadCudaDriver() return `driver` (nullptr: libcuda again). For tests only.
void setCudaDriverForTesting(const CudaDriver *driver);

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_CUDADRIVER_H
