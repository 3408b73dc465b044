//===- VerifyHelpers.cpp --------------------------------------------------===//

#include "dialects/ds4/IR/VerifyHelpers.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::ds4;

namespace mlir::ds4::verify {

bool dimsMatch(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << '?';
    else
      os << d;
  });
  os << ']';
  return out;
}

LogicalResult hasRank(Operation *op, StringRef what, Type type, int64_t rank) {
  auto shaped = cast<ShapedType>(type);
  if (shaped.getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank << ", got "
                             << type;
  return success();
}

LogicalResult hasMinRank(Operation *op, StringRef what, Type type,
                         int64_t rank) {
  auto shaped = cast<ShapedType>(type);
  if (shaped.getRank() < rank)
    return op->emitOpError() << what << " must have rank >= " << rank
                             << ", got " << type;
  return success();
}

LogicalResult hasShape(Operation *op, StringRef what, Type type,
                       ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> actual = cast<ShapedType>(type).getShape();
  bool ok = actual.size() == expected.size();
  for (size_t i = 0; ok && i < actual.size(); ++i)
    ok = dimsMatch(actual[i], expected[i]);
  if (!ok)
    return op->emitOpError() << what << " must have shape "
                             << shapeString(expected) << ", got " << type;
  return success();
}

static bool isActivationFloat(Type t) { return t.isF32() || t.isBF16() || t.isF16(); }

LogicalResult isFloatTensor(Operation *op, StringRef what, Type type) {
  if (!isActivationFloat(cast<ShapedType>(type).getElementType()))
    return op->emitOpError() << what << " must be a tensor of f32, bf16 or "
                             << "f16, got " << type;
  return success();
}

LogicalResult isF32Tensor(Operation *op, StringRef what, Type type) {
  if (!cast<ShapedType>(type).getElementType().isF32())
    return op->emitOpError() << what << " must be a tensor of f32, got "
                             << type;
  return success();
}

LogicalResult isIntegerTensor(Operation *op, StringRef what, Type type) {
  if (!isa<IntegerType, IndexType>(cast<ShapedType>(type).getElementType()))
    return op->emitOpError() << what << " must be a tensor of integers, got "
                             << type;
  return success();
}

QuantEncodingAttr getQuantEncoding(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor ? dyn_cast_or_null<QuantEncodingAttr>(tensor.getEncoding())
                : QuantEncodingAttr();
}

LogicalResult isPlainTable(Operation *op, StringRef what, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  Type element = tensor.getElementType();
  if (tensor.getEncoding() || (!element.isBF16() && !element.isF32()))
    return op->emitOpError() << what << " must be a plain bf16 or f32 tensor, "
                             << "got " << type;
  return success();
}

LogicalResult isWeightTensor(Operation *op, StringRef what, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  Type element = tensor.getElementType();
  QuantEncodingAttr quant = getQuantEncoding(type);
  if (tensor.getEncoding() && !quant)
    return op->emitOpError() << what << " has an encoding that is not "
                             << "#ds4.quant: " << type;
  if (quant) {
    if (element != quant.getCodeType())
      return op->emitOpError() << what << " with encoding " << quant
                               << " must have element type "
                               << quant.getCodeType() << ", got " << element;
    return success();
  }
  if (isa<Float8E4M3FNType, Float4E2M1FNType>(element))
    return op->emitOpError() << what << " of " << element
                             << " codes needs a #ds4.quant encoding for its "
                             << "block scales";
  if (!element.isBF16() && !element.isF32())
    return op->emitOpError() << what << " must be bf16, f32 or block-quantized "
                             << "fp8/fp4, got " << type;
  return success();
}

LogicalResult isPositive(Operation *op, StringRef what, double value) {
  if (!(value > 0.0))
    return op->emitOpError() << what << " must be positive, got " << value;
  return success();
}

LogicalResult isStateKind(Operation *op, StringRef what, StateType type,
                          ArrayRef<StateKind> kinds) {
  if (llvm::is_contained(kinds, type.getKind()))
    return success();
  InFlightDiagnostic diag = op->emitOpError() << what << " must be a state of kind ";
  llvm::interleave(
      kinds, [&](StateKind k) { diag << stringifyStateKind(k); },
      [&] { diag << " or "; });
  return diag << ", got " << type;
}

LogicalResult hasPositionsAndSlots(Operation *op, Value positions, Value slots,
                                   int64_t batch, int64_t tokens) {
  if (failed(isIntegerTensor(op, "'positions'", positions.getType())) ||
      failed(hasShape(op, "'positions'", positions.getType(), {batch, tokens})) ||
      failed(isIntegerTensor(op, "'slots'", slots.getType())) ||
      failed(hasShape(op, "'slots'", slots.getType(), {batch})))
    return failure();
  return success();
}

SmallVector<int64_t> withTail(ArrayRef<int64_t> shape, int64_t drop,
                              ArrayRef<int64_t> tail) {
  SmallVector<int64_t> out(shape.drop_back(drop));
  out.append(tail.begin(), tail.end());
  return out;
}

} // namespace mlir::ds4::verify
