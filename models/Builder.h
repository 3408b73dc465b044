//===- Builder.h - DeepSeek-V4 config -> ds4 IR ----------------------------===//
//
// Emits the whole model as two functions over tensors in ds4 ops (the
// pipeline's `model` phase, ../shared/spec/architecture.md):
//
//   @prefill(tokens [1, s], positions [1, s], slots [1], state...)
//       -> (logits [1, s, vocab], state...)       any number of new tokens
//   @decode(tokens [b, 1], positions [b, 1], slots [b], state...)
//       -> (logits [b, 1, vocab], state...)       one token per slot
//
// Per-sequence state is explicit: for each layer its window ring, and for
// compressed layers the entries and the compressor's pending block, and for
// CSA layers the indexer keys and their compressor block. Each state
// argument carries `ds4.state = "layers.N.<part>"`. Weights are
// `ds4.weight` references by checkpoint name (spec section 2).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_MODELS_BUILDER_H
#define DS4_MODELS_BUILDER_H

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "models/Config.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace ds4 {

struct BuildOptions {
  mlir::ds4::PrecisionMode precision = mlir::ds4::PrecisionMode::exact;
  /// Also emit @mtp, the multi-token-prediction block (spec 3.6).
  bool mtp = false;
};

/// Builds and verifies the model. Errors (a config that the precision mode
/// cannot express, a verifier failure) come back as one message.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildModel(mlir::MLIRContext &context, const ModelConfig &config,
           const BuildOptions &options);

} // namespace ds4

#endif // DS4_MODELS_BUILDER_H
