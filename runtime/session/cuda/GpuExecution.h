// What the host plan's mgpu* calls act on (GpuHostAbi.h): the session's driver and stream, the
// activation arena of the running entry, the loaded modules and their kernel names, the first
// error of the call, and (while profiling) events around every launch.
//
// Errors: the first one is kept (later ones are usually its consequences) and every mgpu call
// after it is a no-op; the session reports it when the entry call returns.
#ifndef DS4_RUNTIME_SESSION_CUDA_GPUEXECUTION_H
#define DS4_RUNTIME_SESSION_CUDA_GPUEXECUTION_H

#include "runtime/session/Timing.h"
#include "runtime/session/cuda/CudaDriver.h"
#include "runtime/session/cuda/DeviceArena.h"

#include <cuda.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ds4 {
namespace session {
namespace cuda {

class GpuExecution {
public:
  /// `maxSharedOptin`: the device's CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN.
  GpuExecution(const CudaDriver &driver, CUstream stream, int maxSharedOptin);
  /// Unloads the modules the host plan left loaded and destroys the events; the context must be
  /// current.
  ~GpuExecution();
  GpuExecution(const GpuExecution &) = delete;
  GpuExecution &operator=(const GpuExecution &) = delete;

  const CudaDriver &driver() const { return driver_; }
  CUstream stream() const { return stream_; }

  /// The arena mgpuMemAlloc uses (the running entry's); null: allocations fail.
  void setArena(DeviceArena *arena) { arena_ = arena; }
  DeviceArena *arena() const { return arena_; }

  bool failed() const { return failed_; }
  const std::string &error() const { return error_; }
  /// Records `message` unless an error is recorded already.
  void fail(std::string message);
  /// Records "WHERE: CALL failed: ..." when `result` is an error; returns whether it is not.
  bool check(CUresult result, const char *call, const std::string &where);
  void clearError();

  void addModule(CUmodule module) { modules_.insert(module); }
  /// Whether `module` was loaded through this execution (and is now forgotten).
  bool removeModule(CUmodule module) { return modules_.erase(module) != 0; }
  size_t loadedModules() const { return modules_.size(); }
  void nameFunction(CUfunction function, const std::string &name) { names_[function] = name; }
  /// The kernel's name ("'name'"), or its handle when it was not looked up here.
  std::string functionName(CUfunction function) const;

  /// cuLaunchKernel on the session stream, raising the function's dynamic shared memory limit
  /// first when `sharedBytes` needs it, between profiling events when profiling. Arguments
  /// are checked by the caller.
  void launch(CUfunction function, const unsigned grid[3], const unsigned block[3],
              unsigned sharedBytes, void **params, void **extra);

  void setProfiling(bool on) { profiling_ = on; }
  bool profiling() const { return profiling_; }
  /// Per kernel (in order of first launch) over the launches since the last take; the stream
  /// must be synchronized. Forgets those launches.
  Expected<std::vector<KernelTiming>> takeKernelTimings();
  void discardKernelTimings() { launches_.clear(); }

private:
  /// The i-th event of the pool, created on first use.
  CUevent event(size_t i);

  const CudaDriver &driver_;
  CUstream stream_;
  int maxSharedOptin_;
  DeviceArena *arena_ = nullptr;
  bool failed_ = false;
  std::string error_;
  std::set<CUmodule> modules_;
  std::map<CUfunction, std::string> names_;
  std::map<CUfunction, unsigned> sharedLimit_; // dynamic shared memory raised to, per kernel
  bool profiling_ = false;
  std::vector<CUevent> events_;
  struct Launch {
    CUfunction function;
    size_t firstEvent; // start event; the end event follows
  };
  std::vector<Launch> launches_;
};

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_GPUEXECUTION_H
