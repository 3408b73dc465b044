// A checkpoint: the tensors of one or more safetensors shards, looked up by name, and checked
// against the weight table a compiled model expects.
//
// Checkpoint::open(PATH) accepts
//   - a directory holding model.safetensors.index.json ({"metadata": ..., "weight_map":
//     {tensor: shard file}}) and the shards it names (the index wins if model.safetensors is
//     there too),
//   - a directory holding a single model.safetensors,
//   - an index json file itself (shards resolved beside it), or
//   - a single safetensors file.
// With an index it checks, reporting every problem at once: the index is well-formed JSON with
// an object weight_map of shard file names (plain relative paths, no ".."), no tensor listed
// twice; every shard exists and passes SafeTensorsFile's checks; every listed tensor is in its
// shard; every tensor of a shard is listed, and listed for that shard; no tensor is in two
// shards.
//
// check()/validate() compare with the expected weight table (produced by the compiler from the
// model's ds4.weight ops; a quantized weight X is two entries, X.weight (F8_E4M3 or I8) and
// X.scale (F8_E8M0)): missing tensors, extra tensors, wrong dtype, wrong shape, and names the
// table itself lists twice, all reported together, each line naming the tensor with expected
// and actual.
#ifndef DS4_RUNTIME_WEIGHTS_CHECKPOINT_H
#define DS4_RUNTIME_WEIGHTS_CHECKPOINT_H

#include "runtime/support/Status.h"
#include "runtime/weights/DType.h"
#include "runtime/weights/SafeTensors.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ds4 {
namespace weights {

namespace detail {
struct CheckpointImpl;
} // namespace detail

/// The index file name inside a checkpoint directory.
constexpr const char *kIndexFileName = "model.safetensors.index.json";
/// The single-file checkpoint name inside a checkpoint directory.
constexpr const char *kSingleFileName = "model.safetensors";

struct ExpectedTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

struct WeightProblem {
  enum class Kind {
    Missing, // expected, not in the checkpoint
    Extra,   // in the checkpoint, not expected
    WrongDType,
    WrongShape,
    DuplicateExpected, // the expected table lists a name twice
  };
  Kind kind;
  std::string tensor;
  /// One line: "FILE: tensor 'NAME': ...".
  std::string message;
};

const char *weightProblemKindName(WeightProblem::Kind kind);

struct ValidateOptions {
  /// Whether tensors the table does not list fail validate() (they are always in check()).
  bool extraTensorsAreErrors = true;
};

class Checkpoint {
public:
  static Expected<Checkpoint> open(const std::string &path,
                                   const SafeTensorsOptions &options = SafeTensorsOptions());

  Checkpoint(Checkpoint &&) noexcept;
  Checkpoint &operator=(Checkpoint &&) noexcept;
  Checkpoint(const Checkpoint &) = delete;
  Checkpoint &operator=(const Checkpoint &) = delete;
  ~Checkpoint();

  /// The path it was opened with.
  const std::string &path() const;
  /// The index file, or "" for a single-file checkpoint.
  const std::string &indexPath() const;
  /// The shards, ordered by file name.
  const std::vector<SafeTensorsFile> &shards() const;

  size_t size() const;
  /// nullptr if absent.
  const TensorView *find(std::string_view name) const;
  /// The shard holding `name`, or nullptr.
  const SafeTensorsFile *shardOf(std::string_view name) const;
  /// Every tensor, ordered by name.
  std::vector<const TensorView *> tensors() const;

  /// Every difference from `expected`, in table order then extras by name.
  std::vector<WeightProblem> check(const std::vector<ExpectedTensor> &expected) const;
  /// check() as a Status: every problem's message, except Extra ones unless
  /// options.extraTensorsAreErrors.
  Status validate(const std::vector<ExpectedTensor> &expected,
                  const ValidateOptions &options = ValidateOptions()) const;

private:
  explicit Checkpoint(std::unique_ptr<detail::CheckpointImpl> impl);
  std::unique_ptr<detail::CheckpointImpl> impl_;
};

} // namespace weights
} // namespace ds4

#endif // DS4_RUNTIME_WEIGHTS_CHECKPOINT_H
