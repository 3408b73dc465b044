// A session: a verified artifact + a bound checkpoint + a device + per-sequence state for
// max_batch slots. The C++ API under the C API in runtime/include/ds4/ds4.h.
//
//   auto session = Session::create("model.ds4", "ckpt/", {});
//   std::vector<float> logits(n * session->vocabSize());
//   session->prefill(0, tokens.data(), n, logits.data());           // slot 0, positions 0..n-1
//   session->decode({0}, {next}, row.data());                        // position n
//
// create() does, reporting the first failing stage (every problem of that stage at once):
//   1. Artifact::load with the requested device (format, version, target, tables);
//   2. device: cuda -> kNoCudaDriverMessage without libcuda.so.1, "no CUDA device: ..." when
//      the driver finds none, kNoCudaSupportMessage in a runtime built without CUDA headers;
//      then (cuda/CudaSession.h) device 0's primary context and a stream;
//   3. kernels: each host_shared_object kernel the entries call dlopen'ed from a memory file
//      and every command's symbol looked up; cuda: each is a host plan (gpu_host_abi.h) whose
//      table is filled and whose ds4_gpu_host_init runs (loading its device modules);
//   4. weights: Checkpoint::open, every tensor of the weight table checked at once (extra
//      checkpoint tensors such as mtp.* are allowed), then each weight's buffer built (64-byte
//      aligned copy; packed layouts as artifact.fbs says); cuda: uploaded once into one device
//      buffer, and the host copy freed;
//   5. state: one zero-filled f32 buffer [max_batch, rows, width] per State (on the device for
//      cuda), with the artifact's max_batch and max_seq_len (the compiled code's static
//      shapes); the SessionOptions limits only restrict which slots and positions may be used.
//
// prefill(slot, n tokens) runs the "prefill" entry at positions length(slot) .. + n - 1 and
// advances the slot; decode(b slots, b tokens) runs "decode" once for b distinct slots, each at
// its own position. Both check slot ranges, token ids (< vocab size) and the context limit
// before anything runs, and leave the session unchanged on error. reset(slot) zeroes the slot's
// state rows and length.
//
// cuda: descriptors hold device addresses; every call uploads its inputs, runs the commands on
// the session's stream (decode steps as CUDA graphs once shapes settle, see graphStatus()),
// copies the logits back and synchronizes. Errors name the failing mgpu and driver call.
//
// Profiling (C++ only): lastStep() times the last prefill/decode call (device events on cuda,
// steady_clock on cpu); setProfiling(true) also times every kernel (cuda: each launch between
// events, which keeps decode steps out of CUDA graphs; cpu: each call_host command).
//
// Threads: the compiled host code is single-threaded today. A Session is thread-safe (each
// mutating call holds an internal mutex, so calls on one session serialize); different
// sessions run concurrently, each with its own copy of the host code (its globals included).
#ifndef DS4_RUNTIME_SESSION_SESSION_H
#define DS4_RUNTIME_SESSION_SESSION_H

#include "runtime/artifact/Artifact.h"
#include "runtime/session/Timing.h"
#include "runtime/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ds4 {
namespace session {

struct SessionOptions {
  Device device = Device::cpu;
  /// Usable slots; 0 = the artifact's max_batch; must not exceed it.
  int64_t maxBatch = 0;
  /// Usable positions per slot; 0 = the artifact's max_seq_len; must not exceed it.
  int64_t maxSeqLen = 0;
  /// cuda: run decode steps as CUDA graphs (captured per batch size after one warm-up step).
  bool cudaGraphs = true;
  /// cuda: the initial activation arena of each entry (prefill, decode); it grows to what a
  /// call needs (0: start empty).
  uint64_t cudaArenaBytes = uint64_t(64) << 20;
  /// cpu: threads running the compiled code's parallel loops, the caller's included (0: one
  /// per processor this process may use).
  unsigned threads = 0;
};

/// The message create() gives for a CUDA device on a machine without the driver.
constexpr const char *kNoCudaDriverMessage =
    "no CUDA driver on this machine (libcuda.so.1 not found)";
/// The message create() gives for a CUDA device in a runtime built without CUDA headers.
constexpr const char *kNoCudaSupportMessage =
    "this runtime was built without CUDA support (configure with -DDS4_ENABLE_CUDA=ON and the "
    "CUDA headers in DS4_CUDA_ROOT)";

class Session {
public:
  static Expected<std::unique_ptr<Session>> create(const std::string &artifactPath,
                                                   const std::string &weightsPath,
                                                   const SessionOptions &options = {});
  /// The same with an artifact already loaded (and verified for options.device).
  static Expected<std::unique_ptr<Session>> create(artifact::Artifact artifact,
                                                   const std::string &weightsPath,
                                                   const SessionOptions &options = {});
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const artifact::Artifact &artifact() const;
  Device device() const;
  int64_t vocabSize() const;
  int64_t maxBatch() const;
  int64_t maxSeqLen() const;
  /// Tokens held by `slot` (its next position); -1 if slot is out of range.
  int64_t length(int64_t slot) const;

  /// Runs `n` >= 1 tokens of one sequence in `slot`, continuing at length(slot). Writes
  /// n x vocab logits to `logits` unless it is null.
  Status prefill(int64_t slot, const int32_t *tokens, size_t n, float *logits);
  /// One token for each of `batch` >= 1 distinct slots. Writes batch x vocab logits to
  /// `logits` unless it is null.
  Status decode(const int32_t *slots, const int32_t *tokens, size_t batch, float *logits);
  Status reset(int64_t slot);
  /// Benchmarks: makes `slot` hold a synthetic context of `length` tokens without running
  /// them: every state row of the slot pseudo-random (SyntheticState.h, from `seed`; the same
  /// values on every device) and length(slot) = length. The next decode then costs what it
  /// costs at that context (its numbers mean nothing).
  Status fillContext(int64_t slot, int64_t length, uint64_t seed);

  /// Kernel timings in lastStep() from the next call on (cuda: decode steps then run
  /// uncaptured, since a graph launch cannot be timed per kernel).
  void setProfiling(bool kernels);
  /// The last successful prefill/decode call's timing (entry "" before the first).
  StepTiming lastStep() const;
  /// cuda: whether decode steps run as graphs, per batch size, and why not; and the activation
  /// arenas' sizes. cpu: a line saying there are none.
  std::string graphStatus() const;
  /// The device's name and memory (cpu: the processor's model name and physical memory).
  DeviceInfo deviceInfo() const;
  /// Device memory copy bandwidth in GB/s (bytes read + bytes written per second): the median
  /// of 5 copies of 256 MiB (cuda: cuMemcpyDtoDAsync timed with events; cpu: memcpy).
  Expected<double> measureCopyBandwidthGBs();

  /// Convenience forms returning the logits.
  Expected<std::vector<float>> prefill(int64_t slot, const std::vector<int32_t> &tokens);
  Expected<std::vector<float>> decode(const std::vector<int32_t> &slots,
                                      const std::vector<int32_t> &tokens);

  struct Impl;

private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_SESSION_H
