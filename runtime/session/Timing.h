// What Session::lastStep() reports about the last prefill / decode call, and what
// Session::deviceInfo() says about the device: the numbers a benchmark needs.
#ifndef DS4_RUNTIME_SESSION_TIMING_H
#define DS4_RUNTIME_SESSION_TIMING_H

#include <cstdint>
#include <string>
#include <vector>

namespace ds4 {
namespace session {

/// One kernel (cuda: a device function by its name in the module; cpu: a call_host command
/// by its symbol) over one step.
struct KernelTiming {
  std::string name;
  int64_t launches = 0;
  double milliseconds = 0; // summed over the launches
};

struct StepTiming {
  std::string entry;          // "prefill" or "decode"; "" before the first call
  int64_t batch = 0, tokens = 0; // rows and tokens per row of the call
  /// The entry's commands (cuda: device time between events recorded on the session stream
  /// around them, or around the graph launch; cpu: steady_clock around them).
  double milliseconds = 0;
  /// The whole call as the caller saw it (steady_clock): input upload, commands, logits copy.
  double wallMilliseconds = 0;
  /// Per kernel, in order of first launch; only while profiling kernels.
  std::vector<KernelTiming> kernels;
  /// Whether the step was a CUDA graph launch (captured now or replayed).
  bool graph = false;
};

struct DeviceInfo {
  std::string name;        // e.g. "NVIDIA H200"; cpu: the processor's model name
  uint64_t memoryBytes = 0; // total device memory; cpu: physical memory
};

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_TIMING_H
