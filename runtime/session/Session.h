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
//   2. device: cuda -> "no CUDA driver on this machine (libcuda.so.1 not found)" or "the cuda
//      device is not implemented yet"; cpu -> each host_shared_object kernel dlopen'ed from a
//      memory file and every command's symbol looked up;
//   3. weights: Checkpoint::open, every tensor of the weight table checked at once (extra
//      checkpoint tensors such as mtp.* are allowed), then each weight's buffer built (64-byte
//      aligned copy; packed layouts as artifact.fbs says);
//   4. state: one zero-filled f32 buffer [max_batch, rows, width] per State, with the
//      artifact's max_batch and max_seq_len (the compiled code's static shapes); the
//      SessionOptions limits only restrict which slots and positions may be used.
//
// prefill(slot, n tokens) runs the "prefill" entry at positions length(slot) .. + n - 1 and
// advances the slot; decode(b slots, b tokens) runs "decode" once for b distinct slots, each at
// its own position. Both check slot ranges, token ids (< vocab size) and the context limit
// before anything runs, and leave the session unchanged on error. reset(slot) zeroes the slot's
// state rows and length.
//
// Threads: the compiled host code is single-threaded today. A Session is thread-safe (each
// mutating call holds an internal mutex, so calls on one session serialize); different
// sessions run concurrently, each with its own copy of the host code (its globals included).
#ifndef DS4_RUNTIME_SESSION_SESSION_H
#define DS4_RUNTIME_SESSION_SESSION_H

#include "runtime/artifact/Artifact.h"
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
};

/// The message create() gives for a CUDA device on a machine without the driver.
constexpr const char *kNoCudaDriverMessage =
    "no CUDA driver on this machine (libcuda.so.1 not found)";
/// The message create() gives for a CUDA device where the driver exists.
constexpr const char *kCudaNotImplementedMessage =
    "the cuda device is not implemented yet (issue 5); use --device=cpu with a cpu artifact";

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
