//===- MoeOps.cpp - MoE gate and routed experts verifiers ----------------===//

#include "dialects/ds4/IR/Ds4Ops.h"
#include "dialects/ds4/IR/VerifyHelpers.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::verify;

/// A dim for messages: `?` when dynamic.
static std::string dimString(int64_t dim) {
  return ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
}

LogicalResult MoeGateOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)) ||
      failed(isWeightTensor(*this, "'weight'", getWeight().getType())) ||
      failed(hasShape(*this, "'weight'", getWeight().getType(),
                      {kAny, shapeOf(getX()).back()})))
    return failure();
  int64_t experts = shapeOf(getWeight())[0];
  int64_t topk = getTopk();
  if (topk < 1 || (!ShapedType::isDynamic(experts) && topk > experts))
    return emitOpError() << "'topk' must be in [1, " << dimString(experts)
                         << "], got " << topk;
  if (failed(isPositive(*this, "'route_scale'",
                        getRouteScale().convertToDouble())))
    return failure();
  Value bias = getBias(), table = getTid2eid(), tokens = getTokenIds();
  if (bias && table)
    return emitOpError("a gate either adds 'bias' (scored layers) or routes "
                       "by 'hash' table (hash layers), not both");
  if (bool(table) != bool(tokens))
    return emitOpError("hash routing needs both the 'hash' table and the "
                       "'tokens' ids");
  if (bias && (failed(isF32Tensor(*this, "'bias'", bias.getType())) ||
               failed(hasShape(*this, "'bias'", bias.getType(), {experts}))))
    return failure();
  ArrayRef<int64_t> lead = shapeOf(getX()).drop_back();
  if (table) {
    if (failed(isIntegerTensor(*this, "'hash'", table.getType())) ||
        failed(hasShape(*this, "'hash'", table.getType(), {kAny, topk})) ||
        failed(isIntegerTensor(*this, "'tokens'", tokens.getType())) ||
        failed(hasShape(*this, "'tokens'", tokens.getType(), lead)))
      return failure();
  }
  SmallVector<int64_t> routed = withTail(lead, 0, {topk});
  if (failed(isF32Tensor(*this, "'weights' result", getWeights().getType())) ||
      failed(hasShape(*this, "'weights' result", getWeights().getType(),
                      routed)))
    return failure();
  if (!getIds().getType().getElementType().isInteger(32))
    return emitOpError() << "'ids' result must hold i32, got "
                         << getIds().getType();
  return hasShape(*this, "'ids' result", getIds().getType(), routed);
}

LogicalResult MoeExpertsOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  for (auto [name, w] : {std::pair<StringRef, Value>{"'w1'", getW1()},
                         {"'w2'", getW2()}, {"'w3'", getW3()}})
    if (failed(isWeightTensor(*this, name, w.getType())) ||
        failed(hasRank(*this, name, w.getType(), 3)))
      return failure();
  ArrayRef<int64_t> w1 = shapeOf(getW1());
  int64_t experts = w1[0], inter = w1[1], dim = w1[2];
  if (getW3().getType() != getW1().getType())
    return emitOpError() << "'w3' type must equal 'w1' type "
                         << getW1().getType() << ", got " << getW3().getType();
  if (failed(hasShape(*this, "'w2'", getW2().getType(), {experts, dim, inter})))
    return failure();
  if (!dimsMatch(shapeOf(getX()).back(), dim))
    return emitOpError() << "'x' last dim " << shapeOf(getX()).back()
                         << " must equal the experts' model dim " << dim;
  ArrayRef<int64_t> lead = shapeOf(getX()).drop_back();
  if (failed(isF32Tensor(*this, "'weights'", getWeights().getType())) ||
      failed(hasMinRank(*this, "'weights'", getWeights().getType(), 1)))
    return failure();
  int64_t topk = shapeOf(getWeights()).back();
  if (failed(hasShape(*this, "'weights'", getWeights().getType(),
                      withTail(lead, 0, {topk}))) ||
      failed(isIntegerTensor(*this, "'ids'", getIds().getType())) ||
      failed(hasShape(*this, "'ids'", getIds().getType(),
                      withTail(lead, 0, {topk}))))
    return failure();
  if (failed(isPositive(*this, "'swiglu_limit'",
                        getSwigluLimit().convertToDouble())))
    return failure();
  if (std::optional<ActQuantAttr> actQuant = getActQuant()) {
    if (!getQuantEncoding(getW1().getType()) ||
        !getQuantEncoding(getW2().getType()))
      return emitOpError("act_quant applies only to fp8/fp4 experts");
  }
  if (failed(isF32Tensor(*this, "result", getType())))
    return failure();
  return hasShape(*this, "result", getType(), shapeOf(getX()));
}
