//===- WeightTable.h - the checkpoint tensors a model references ----------===//
//
// Derives, from the `ds4.weight` ops of a module, the list of checkpoint
// tensors (name, safetensors dtype, shape) the runtime must find: a
// quantized reference `X.weight` stands for the code tensor (F8_E4M3, or I8
// with two e2m1 codes per byte) plus `X.scale` (F8_E8M0, one per block), and
// a `*` name stands for one tensor per expert of the leading dim. This is
// the weight table an artifact carries and a checkpoint is checked against.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_MODELS_WEIGHTTABLE_H
#define DS4_MODELS_WEIGHTTABLE_H

#include "mlir/IR/BuiltinOps.h"
#include "runtime/weights/Checkpoint.h"

#include <vector>

namespace ds4 {

/// Sorted by name, each tensor once (repeated references merge). Fails, with
/// an error on the op, when two references to one name disagree on type.
mlir::FailureOr<std::vector<weights::ExpectedTensor>>
collectWeightTable(mlir::ModuleOp module);

} // namespace ds4

#endif // DS4_MODELS_WEIGHTTABLE_H
