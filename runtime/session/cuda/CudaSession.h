// The cuda device of a Session: what Session.cpp delegates to for an sm_90a artifact.
//
//   - host plans: each host_shared_object kernel the entries call is an ELF shared object
//     exporting the gpu_host_abi.h contract; bindHostPlan checks its exports and ABI version,
//     fills its table with the runtime's mgpu* functions and runs ds4_gpu_host_init (which
//     loads its device modules). The destructor runs ds4_gpu_host_fini before the session
//     unloads the libraries.
//   - memory: the weights in one device buffer (uploaded once), one zero-filled buffer per
//     state, and per entry (prefill, decode) its own input/logits buffers and activation arena,
//     so prefills of any length never move what decode graphs point at. Decode inputs are
//     sized for the compiled max batch once, so their addresses never change.
//   - a call: inputs uploaded on the session stream, the entry's commands run with
//     descriptors of device addresses (or its CUDA graph replayed), logits copied back, stream
//     synchronized; the first error names the failing mgpu and driver call.
//   - decode steps as CUDA graphs per batch size (GraphCache), unless Options::graphs is off
//     or kernels are being profiled.
#ifndef DS4_RUNTIME_SESSION_CUDA_CUDASESSION_H
#define DS4_RUNTIME_SESSION_CUDA_CUDASESSION_H

#include "runtime/session/EntryArgs.h"
#include "runtime/session/HostKernel.h"
#include "runtime/session/Timing.h"
#include "runtime/session/cuda/CudaContext.h"
#include "runtime/session/cuda/DeviceArena.h"
#include "runtime/session/cuda/GpuExecution.h"
#include "runtime/session/cuda/GraphCache.h"
#include "runtime/support/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ds4 {
namespace session {
namespace cuda {

class CudaSession {
public:
  struct Options {
    std::string name;      // the artifact, first in every message
    bool graphs = true;    // capture decode steps into CUDA graphs
    int64_t maxBatch = 1;  // the artifact's max_batch: decode inputs are sized for it
    int64_t vocab = 1;
    /// Initial activation arena per entry (grows as calls need).
    uint64_t arenaBytes = 0;
  };
  /// A piece of host memory to upload.
  struct HostBytes {
    const uint8_t *data = nullptr;
    size_t size = 0;
  };
  /// One entry call (positions and slots already computed by the session).
  struct Call {
    bool decode = false;
    const int32_t *tokens = nullptr;
    const int64_t *positions = nullptr;
    const int32_t *slots = nullptr;
    int64_t batch = 0, count = 0;
    float *logits = nullptr; // batch x count x vocab, or null
  };

  /// The driver (loadCudaDriver), device 0 (which must be compute capability 9.0 for
  /// sm_90a), its context and stream, and the decode input buffers.
  static Expected<std::unique_ptr<CudaSession>> create(const Options &options);
  ~CudaSession();
  CudaSession(const CudaSession &) = delete;
  CudaSession &operator=(const CudaSession &) = delete;

  /// Binds a loaded host plan; `what` names it ("model.ds4: kernel 0 'host'").
  Status bindHostPlan(const HostLibrary &library, const std::string &what);
  /// Uploads every piece into one device buffer (each at a 256-byte aligned offset); their
  /// device addresses.
  Expected<std::vector<uint64_t>> uploadWeights(const std::vector<HostBytes> &pieces);
  /// A zero-filled device buffer of `bytes` (a multiple of 4); its address.
  Expected<uint64_t> allocateState(uint64_t bytes, const std::string &what);
  /// Zeroes `bytes` (a multiple of 4) at `address` (inside a state buffer).
  Status zero(uint64_t address, uint64_t bytes);
  /// Fills `count` floats at `address` with syntheticStateValue(seed, 0 .. count - 1).
  Status fillRandom(uint64_t address, uint64_t count, uint64_t seed);

  /// Runs `commands` with `buffers` (states, weights set; tokens .. logits set here).
  Status run(const std::vector<BoundCommand> &commands, EntryBuffers &buffers, const Call &call);

  void setProfiling(bool kernels);
  const StepTiming &lastStep() const { return last_; }
  std::string graphStatus() const;
  DeviceInfo deviceInfo() const;
  Expected<double> measureCopyBandwidthGBs();

private:
  struct HostPlan {
    void (*fini)() = nullptr;
    std::string what;
  };
  struct Io {
    DeviceBuffer tokens, positions, slots, logits;
    int64_t rows = 0, batch = 0;
  };

  explicit CudaSession(Options options) : options_(std::move(options)) {}
  Status ensureIo(Io &io, int64_t rows, int64_t batch, bool decode);
  /// reset() of the entry's arena; a decode arena that moved drops the decode graphs.
  Status resetArena(bool decode);
  void callCommands(const std::vector<BoundCommand> &commands, EntryBuffers &buffers,
                    DeviceArena &arena);
  /// Captures the decode commands of `batch` and launches the graph; false (with the reason
  /// recorded in graphs_) when the capture failed and nothing ran.
  bool captureAndLaunch(const std::vector<BoundCommand> &commands, EntryBuffers &buffers,
                        int64_t batch);
  std::string fail(const char *entry, const std::string &message) const;

  Options options_;
  std::unique_ptr<CudaContext> context_;
  std::unique_ptr<GpuExecution> execution_;
  std::vector<HostPlan> plans_;
  DeviceBuffer weights_;
  std::vector<DeviceBuffer> states_;
  Io prefillIo_, decodeIo_;
  std::unique_ptr<DeviceArena> prefillArena_, decodeArena_;
  std::unique_ptr<GraphCache> graphs_;
  CUevent stepStart_ = nullptr, stepEnd_ = nullptr;
  CUmodule runtimeKernels_ = nullptr; // RuntimeKernels.h, loaded on first use
  CUfunction fillRandom_ = nullptr;
  bool profiling_ = false;
  StepTiming last_;
};

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_CUDASESSION_H
