//===- VerifyHelpers.h - shape/type checks shared by the op verifiers ----===//
//
// Every helper emits an op error naming the operand or result (`what`) and
// what was expected, so a model builder bug points at the offending value.
// Dynamic dims are compatible with anything: the runtime checks them.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_DIALECTS_DS4_IR_VERIFYHELPERS_H
#define DS4_DIALECTS_DS4_IR_VERIFYHELPERS_H

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "mlir/IR/Operation.h"

namespace mlir::ds4::verify {

/// Stand-in for "any size" in expected shapes.
constexpr int64_t kAny = ShapedType::kDynamic;

bool dimsMatch(int64_t a, int64_t b);

/// `[a, ?, c]` for messages.
std::string shapeString(ArrayRef<int64_t> shape);

LogicalResult hasRank(Operation *op, StringRef what, Type type, int64_t rank);
LogicalResult hasMinRank(Operation *op, StringRef what, Type type,
                         int64_t rank);
LogicalResult hasShape(Operation *op, StringRef what, Type type,
                       ArrayRef<int64_t> expected);

/// f32 / bf16 / f16 activations.
LogicalResult isFloatTensor(Operation *op, StringRef what, Type type);
LogicalResult isF32Tensor(Operation *op, StringRef what, Type type);
LogicalResult isIntegerTensor(Operation *op, StringRef what, Type type);

/// The `#ds4.quant` encoding of a tensor type, or null.
QuantEncodingAttr getQuantEncoding(Type type);

/// A bf16 or f32 tensor without any encoding (embedding table, output head).
LogicalResult isPlainTable(Operation *op, StringRef what, Type type);

/// A weight operand: a bf16/f32 tensor without encoding, or a code tensor
/// (f8E4M3FN / f4E2M1FN) with the matching `#ds4.quant` encoding.
LogicalResult isWeightTensor(Operation *op, StringRef what, Type type);

LogicalResult isPositive(Operation *op, StringRef what, double value);

/// A `!ds4.state` of the given kind.
LogicalResult isStateKind(Operation *op, StringRef what, StateType type,
                          ArrayRef<StateKind> kinds);

/// `positions` [b, s] and `slots` [b] of the state-touching ops.
LogicalResult hasPositionsAndSlots(Operation *op, Value positions, Value slots,
                                   int64_t batch, int64_t tokens);

/// shape[:-drop] ++ tail.
SmallVector<int64_t> withTail(ArrayRef<int64_t> shape, int64_t drop,
                              ArrayRef<int64_t> tail);

inline ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

} // namespace mlir::ds4::verify

#endif // DS4_DIALECTS_DS4_IR_VERIFYHELPERS_H
