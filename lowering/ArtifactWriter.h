//===- ArtifactWriter.h - the FlatBuffers artifact (runtime/artifact) -----===//
//
// Collects what the runtime needs from the compiled module — the weight
// table (from the tensor types of the `ds4.weight` arguments, before
// bufferization), the state table and each entry point's argument list
// (after the entry ABI) — and serializes it with the kernels' binaries
// (runtime/artifact/artifact.fbs).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_ARTIFACTWRITER_H
#define DS4_LOWERING_ARTIFACTWRITER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::ds4 {

struct ArtifactOptions {
  std::string target = "cpu";
  std::string precision = "exact";
  std::string configJson;
  int64_t vocabSize = 0;
  int64_t maxSeqLen = 0;
  int64_t maxBatch = 0;
};

class ArtifactWriter {
public:
  /// Call after ds4-weights-to-args: records weight layouts and states.
  LogicalResult collectTensorLevel(ModuleOp module);
  /// Call after ds4-entry-abi: records each entry's argument list and the
  /// weight arena layout (ds4-weight-arena's `ds4.weight_arena` attribute).
  LogicalResult collectEntryAbi(ModuleOp module);
  /// The serialized artifact with one host shared object.
  llvm::Expected<std::string> serialize(const ArtifactOptions &options,
                                        const std::string &sharedObject) const;

private:
  struct WeightInfo {
    std::string name;
    RankedTensorType type;
  };
  struct StateInfo {
    std::string name;
    Type type; // StateType
  };
  struct ArgInfo {
    int kind; // ds4::artifact::ArgKind
    unsigned index;
    unsigned rank;
  };
  struct EntryInfo {
    std::string name;
    int64_t batch, tokens;
    std::vector<ArgInfo> args;
  };
  std::vector<WeightInfo> weights;
  std::vector<StateInfo> states;
  std::vector<EntryInfo> entries;
  struct ArenaSlot {
    int64_t offset, bytes;
  };
  llvm::StringMap<ArenaSlot> arena; // by weight name; empty without an arena
  int64_t arenaBytes = 0;
};

} // namespace mlir::ds4

#endif // DS4_LOWERING_ARTIFACTWRITER_H
