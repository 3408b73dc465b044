// The ds4 artifact: loading and verifying a compiled model (artifact.fbs), and the layout
// rules that the compiler (which writes artifacts) and the runtime (which binds weights and
// state to them) must agree on.
//
// Artifact::load / fromBuffer accept a buffer only if every check below holds, and report every
// problem found (not just the first), each as one line "NAME: ..." where NAME is the file path
// (or the name given to fromBuffer):
//   - size: at least 8 bytes, below 2 GiB (the FlatBuffers limit);
//   - file identifier "DS4A" at bytes 4..7;
//   - the FlatBuffers Verifier accepts the buffer (offsets, vectors, strings, required fields);
//   - format_version == kFormatVersion;
//   - target is a known Target, and (LoadOptions::device set) runnable on that device:
//     cpu -> Device::cpu, sm_90a -> Device::cuda;
//   - vocab_size, max_seq_len, max_batch positive and within the runtime's limits;
//   - config_hash, when present with config_json, is the FNV-1a 64 of config_json;
//   - kernels: a name, a known binary kind matching the target (host_shared_object for cpu;
//     for sm_90a host_shared_object, the host plan of runtime/include/ds4/gpu_host_abi.h, and
//     ptx/cubin, carried for inspection only), a non-empty binary;
//   - weights: a non-empty unique name, a known layout, a dtype legal for the layout, a shape of
//     non-negative dims, 1 <= experts <= kMaxExperts (and a name with one '*' when experts > 1),
//     at most kMaxCheckpointTensors checkpoint tensors in all, packed
//     layouts: [rows, cols] with positive block_rows/block_cols, an even cols for fp4, a name
//     ending in "weight"; `bytes` equal to the bytes of the buffer the layout describes
//     (weightBufferBytes below); expanded checkpoint names unique across the table;
//   - states: a non-empty unique name, a known kind, width > 0, fixed_rows >= 0, ratio >= 0,
//     and either fixed_rows > 0 or ratio > 0; buffer bytes without overflow;
//   - entries: names unique; "prefill" (batch 1, tokens -1) and "decode" (batch -1, tokens 1)
//     present; at least one command each;
//   - commands: a known op legal for the target (call_host for both), kernel index
//     in range and of a kind the op can run, a call_host symbol that is a C identifier;
//   - args: a known kind; state/weight index in range; the rank the runtime passes for that
//     kind (argRank below); a command passes logits at most once, and each entry passes them;
//   - weight arena (when an entry passes a weights_arena arg): 0 <= weight_arena_bytes <=
//     kMaxBufferBytes; each weight's offset a multiple of kWeightArenaAlignment, its `bytes`
//     from there within weight_arena_bytes, no two weights overlapping.
//
// Plain C++17, no LLVM/MLIR. The compiler includes this header for kFormatVersion and the
// layout helpers.
#ifndef DS4_RUNTIME_ARTIFACT_ARTIFACT_H
#define DS4_RUNTIME_ARTIFACT_ARTIFACT_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/support/Status.h"
#include "runtime/weights/Checkpoint.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ds4 {

/// Where a session runs.
enum class Device { cpu, cuda };

/// "cpu" / "cuda".
const char *deviceName(Device device);
/// The device spelled exactly `name` ("cpu", "cuda"), or nullopt.
std::optional<Device> parseDevice(std::string_view name);

namespace artifact {

/// The artifact format version this runtime reads and ds4-compile writes. Bump on any
/// incompatible change of artifact.fbs or of the calling convention.
constexpr uint32_t kFormatVersion = 1;
/// Alignment of the weight arena and of every weight's offset in it.
constexpr int64_t kWeightArenaAlignment = 64;
/// The FlatBuffers file identifier (bytes 4..7 of the file).
constexpr const char *kFileIdentifier = "DS4A";

/// Limits beyond which an artifact is rejected (they keep every size computation in int64).
constexpr int64_t kMaxVocabSize = int64_t(1) << 31;  // token ids are i32
constexpr int64_t kMaxSeqLen = int64_t(1) << 31;
constexpr int64_t kMaxBatch = int64_t(1) << 20;
constexpr int64_t kMaxBufferBytes = int64_t(1) << 50; // one weight or state buffer
constexpr int64_t kMaxExperts = int64_t(1) << 16;     // per stacked weight
constexpr int64_t kMaxCheckpointTensors = int64_t(1) << 22; // the whole weight table

struct LoadOptions {
  /// When set, the artifact's target must run on this device.
  std::optional<Device> device;
};

class Artifact {
public:
  /// Reads and verifies `path`.
  static Expected<Artifact> load(const std::string &path, const LoadOptions &options = {});
  /// Verifies a copy of `size` bytes at `data`; `name` stands for the path in messages.
  static Expected<Artifact> fromBuffer(const uint8_t *data, size_t size, std::string name,
                                       const LoadOptions &options = {});
  static Expected<Artifact> fromBuffer(std::vector<uint8_t> bytes, std::string name,
                                       const LoadOptions &options = {});

  /// The verified root table; valid as long as this Artifact (moves included).
  const Model &model() const { return *GetModel(bytes_.data()); }
  /// The path (or name) it was loaded from.
  const std::string &path() const { return path_; }
  const std::vector<uint8_t> &bytes() const { return bytes_; }

  /// The entry named `name`, or nullptr.
  const Entry *findEntry(std::string_view name) const;

private:
  Artifact(std::vector<uint8_t> bytes, std::string path)
      : bytes_(std::move(bytes)), path_(std::move(path)) {}
  std::vector<uint8_t> bytes_;
  std::string path_;
};

/// Checks an artifact image in place (what load/fromBuffer run); `name` prefixes messages.
Status verifyArtifact(const uint8_t *data, size_t size, const std::string &name,
                      const LoadOptions &options = {});

// ---------------------------------------------------------------------------------------------
// Layout rules (valid on a verified artifact).
// ---------------------------------------------------------------------------------------------

/// A packed weight's byte layout: codes [experts, rows, codeCols], then scales
/// [experts, scaleRows, scaleCols], one byte each.
struct PackedLayout {
  int64_t experts = 1;
  int64_t rows = 0, cols = 0; // logical, in elements
  int64_t codeCols = 0;       // cols (fp8) or cols/2 (fp4)
  int64_t scaleRows = 0, scaleCols = 0;
  int64_t codeBytesPerExpert() const { return rows * codeCols; }
  int64_t scaleBytesPerExpert() const { return scaleRows * scaleCols; }
  int64_t codeBytes() const { return experts * codeBytesPerExpert(); }
  int64_t scaleBytes() const { return experts * scaleBytesPerExpert(); }
  int64_t totalBytes() const { return codeBytes() + scaleBytes(); }
};

/// The packed layout of a packed_fp8 / packed_fp4 weight.
PackedLayout packedLayout(const Weight &weight);
/// Whether the weight's name holds a '*' (a stack of `experts` checkpoint tensors).
bool isStacked(const Weight &weight);
/// Bytes of the buffer the runtime passes for `weight`: plain: experts x bytes of dtype x
/// shape; packed: PackedLayout::totalBytes(). nullopt when it overflows or the weight is
/// malformed.
std::optional<int64_t> weightBufferBytes(const Weight &weight);
/// The memref shape the runtime passes for a weight: packed: [bytes] (i8); plain: the listed
/// shape, with [experts] in front for a stacked weight.
std::vector<int64_t> weightBufferShape(const Weight &weight);
/// The checkpoint tensors behind `weight`, in buffer order: plain: NAME (each expert, '*'
/// replaced by its index); packed: for each expert X.weight then X.scale... all codes first,
/// then all scales (X = name without the trailing "weight").
std::vector<weights::ExpectedTensor> checkpointTensors(const Weight &weight);
/// Rows of a state buffer: fixed_rows when > 0, else ceil(maxSeqLen / ratio).
int64_t stateRows(const State &state, int64_t maxSeqLen);
/// The rank of the memref the runtime passes for an argument (-1 for an unknown kind):
/// tokens 2 [batch, tokens] i32, positions 2 [batch, tokens] i64, slots 1 [batch] i32,
/// state 3 [max_batch, rows, width] f32, logits 3 [batch, tokens, vocab] f32, weight
/// weightBufferShape().size(), weights_arena 1 [weight_arena_bytes] i8.
int64_t argRank(const Model &model, const Arg &arg);
/// Whether any command passes a weights_arena argument (then the runtime lays every weight
/// out at its Weight.offset in one arena of Model.weight_arena_bytes).
bool usesWeightArena(const Model &model);

/// FNV-1a 64 of `text` as 16 lower-case hex digits (Model.config_hash).
std::string configHash(std::string_view text);

} // namespace artifact
} // namespace ds4

#endif // DS4_RUNTIME_ARTIFACT_ARTIFACT_H
