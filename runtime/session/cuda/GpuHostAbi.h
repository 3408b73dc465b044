// The runtime's side of runtime/include/ds4/gpu_host_abi.h: the mgpu* functions a host plan
// calls through its ds4_gpu_host_abi table, and the thread-local "current execution" they act
// on. The session makes its GpuExecution current (ActiveExecution) around every call into a
// host plan (init, entries, fini), so each loaded copy of a host plan talks to its own session.
// Called with no execution current, every function does nothing and returns null.
#ifndef DS4_RUNTIME_SESSION_CUDA_GPUHOSTABI_H
#define DS4_RUNTIME_SESSION_CUDA_GPUHOSTABI_H

#include "ds4/gpu_host_abi.h"
#include "runtime/session/cuda/GpuExecution.h"

namespace ds4 {
namespace session {
namespace cuda {

/// Writes the runtime's functions into a host plan's table (DS4_GPU_HOST_ABI_COUNT entries).
void fillGpuHostAbi(void **table);

/// The function of `index` (what fillGpuHostAbi writes there).
void *gpuHostAbiFunction(ds4_gpu_host_abi_index index);

/// Makes `execution` current on this thread for its lifetime (restoring the previous one).
class ActiveExecution {
public:
  explicit ActiveExecution(GpuExecution &execution);
  ~ActiveExecution();
  ActiveExecution(const ActiveExecution &) = delete;
  ActiveExecution &operator=(const ActiveExecution &) = delete;

private:
  GpuExecution *previous_;
};

/// The execution current on this thread, or nullptr.
GpuExecution *currentExecution();

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_GPUHOSTABI_H
