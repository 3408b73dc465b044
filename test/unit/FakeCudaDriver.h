// A CUDA driver emulated on the host, for testing the cuda device on machines without a GPU:
// "device memory" is host memory (so a CUdeviceptr is a host address), streams run their work
// at once unless capturing, a captured graph replays its recorded work, and kernels are host
// functions registered by name (a module provides a kernel when its PTX text declares
// `.entry NAME`). It counts what is live (allocations, modules, events, graphs, context
// retains) so tests can check that a session releases everything, and can make the next call
// of any function fail.
//
// FakeCuda installs itself as the driver loadCudaDriver() returns for its lifetime (one at a
// time).
#ifndef DS4_TEST_UNIT_FAKECUDADRIVER_H
#define DS4_TEST_UNIT_FAKECUDADRIVER_H

#include "runtime/session/cuda/CudaDriver.h"

#include <cuda.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ds4 {
namespace test {

/// A kernel's body for one thread of a 1-D launch: `thread` = blockIdx.x * blockDim.x +
/// threadIdx.x; params[i] points at argument i.
using FakeKernel = std::function<void(uint64_t thread, void **params)>;

/// Argument i of a kernel.
template <typename T> T fakeParam(void **params, int i) {
  T v;
  std::memcpy(&v, params[i], sizeof v);
  return v;
}

class FakeCuda {
public:
  FakeCuda();
  ~FakeCuda();
  FakeCuda(const FakeCuda &) = delete;
  FakeCuda &operator=(const FakeCuda &) = delete;

  const session::cuda::CudaDriver &driver() const { return driver_; }
  /// A kernel `name` whose arguments have `paramBytes` sizes (copied at launch, as the driver
  /// does, so a captured launch keeps them).
  void addKernel(const std::string &name, std::vector<size_t> paramBytes, FakeKernel body) {
    kernels[name] = {std::move(paramBytes), std::move(body)};
  }
  /// The next call of `function` (e.g. "cuLaunchKernel") returns `result`.
  void failNext(const std::string &function, CUresult result) { failures[function] = result; }

  // Knobs.
  CUresult initResult = CUDA_SUCCESS;
  int deviceCount = 1;
  int computeMajor = 9, computeMinor = 0;
  uint64_t memoryLimit = uint64_t(1) << 30;

  // What is live now, and totals.
  std::map<uint64_t, uint64_t> allocations; // address -> bytes
  std::set<void *> modules, events, graphs, graphExecs, streams;
  int retained = 0;
  int64_t kernelLaunches = 0, graphLaunches = 0, allocCalls = 0;
  std::vector<std::string> launchedKernels; // names, in launch order

  // Internal (used by the driver functions).
  struct Kernel {
    std::vector<size_t> paramBytes;
    FakeKernel body;
  };
  std::map<std::string, Kernel> kernels;
  std::map<std::string, CUresult> failures;
  bool capturing() const;

private:
  session::cuda::CudaDriver driver_;
};

/// The standard kernels of the device tests and the fake GPU host plan (FakeGpuHostPlan.c),
/// with the semantics of their PTX.
void addFakeGpuKernels(FakeCuda &cuda);

} // namespace test
} // namespace ds4

#endif // DS4_TEST_UNIT_FAKECUDADRIVER_H
