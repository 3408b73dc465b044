//===- CoreOps.cpp - weights, norms, rope, linear, quantization ----------===//

#include "dialects/ds4/IR/Ds4Ops.h"
#include "dialects/ds4/IR/VerifyHelpers.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::verify;

//===----------------------------------------------------------------------===//
// ds4.weight
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  StringRef name = getName();
  if (name.empty())
    return emitOpError("checkpoint name must not be empty");
  if (name.find_first_of(" \t\n\"") != StringRef::npos)
    return emitOpError() << "checkpoint name '" << name
                         << "' must not contain whitespace or quotes";
  if (name.count('*') > 1)
    return emitOpError() << "checkpoint name '" << name
                         << "' may hold at most one expert wildcard '*'";
  auto type = getResult().getType();
  if (!type.hasStaticShape())
    return emitOpError() << "weight '" << name
                         << "' must have a static shape, got " << type;
  if (isStacked() && type.getRank() < 2)
    return emitOpError() << "stacked weight '" << name
                         << "' needs a leading expert dim and at least one "
                            "more, got "
                         << type;
  Type element = type.getElementType();
  QuantEncodingAttr quant = getQuantEncoding(type);
  if (!quant) {
    if (type.getEncoding())
      return emitOpError() << "weight '" << name
                           << "' has an encoding that is not #ds4.quant: "
                           << type;
    if (isa<Float8E4M3FNType, Float4E2M1FNType>(element))
      return emitOpError() << "weight '" << name << "' of " << element
                           << " codes needs a #ds4.quant encoding";
    if (!element.isBF16() && !element.isF32() && !element.isInteger(32) &&
        !element.isInteger(64))
      return emitOpError() << "weight '" << name
                           << "' must be bf16, f32, i32, i64 or block-"
                              "quantized fp8/fp4, got "
                           << element;
    return success();
  }
  if (element != quant.getCodeType())
    return emitOpError() << "weight '" << name << "' with encoding " << quant
                         << " must have element type " << quant.getCodeType()
                         << ", got " << element;
  if (type.getRank() < 2)
    return emitOpError() << "quantized weight '" << name
                         << "' must be at least 2-D (scales tile the last two "
                            "dims), got "
                         << type;
  if (isStacked() && type.getRank() < 3)
    return emitOpError() << "stacked quantized weight '" << name
                         << "' must be [experts, out, in], got " << type;
  if (!name.ends_with(".weight"))
    return emitOpError() << "quantized weight '" << name
                         << "' must end in '.weight' (its scales are "
                            "'<name>.scale')";
  // The released FP4 scale tensors have exactly in/32 columns; a partial
  // block there means the shape or the encoding is wrong.
  if (quant.getFormat() == QuantFormat::fp4_e2m1) {
    int64_t rows = type.getShape()[type.getRank() - 2];
    int64_t cols = type.getShape().back();
    if (cols % quant.getBlockCols() != 0 || rows % quant.getBlockRows() != 0)
      return emitOpError() << "fp4 weight '" << name << "' shape [" << rows
                           << ", " << cols << "] must be a whole number of "
                           << quant.getBlockRows() << "x"
                           << quant.getBlockCols() << " scale blocks";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.embedding
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  Type table = getTable().getType();
  if (failed(hasRank(*this, "'table'", table, 2)))
    return failure();
  if (failed(isPlainTable(*this, "'table'", table)))
    return failure();
  if (failed(isIntegerTensor(*this, "'ids'", getIds().getType())))
    return failure();
  int64_t dim = shapeOf(getTable())[1];
  if (failed(hasShape(*this, "result", getType(),
                      withTail(shapeOf(getIds()), 0, {dim}))))
    return failure();
  Type tableElement = cast<ShapedType>(table).getElementType();
  Type resultElement = getType().getElementType();
  if (resultElement != tableElement && !resultElement.isF32())
    return emitOpError() << "result element type must be the table's ("
                         << tableElement << ") or f32, got " << resultElement;
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.rms_norm
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  if (Value weight = getWeight()) {
    if (failed(isFloatTensor(*this, "'weight'", weight.getType())) ||
        failed(hasShape(*this, "'weight'", weight.getType(),
                        {shapeOf(getX()).back()})))
      return failure();
  }
  if (failed(isPositive(*this, "'eps'", getEps().convertToDouble())))
    return failure();
  if (failed(isFloatTensor(*this, "result", getType())) ||
      failed(hasShape(*this, "result", getType(), shapeOf(getX()))))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.rope
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  Type x = getX().getType();
  ArrayRef<int64_t> xShape = shapeOf(getX());
  ArrayRef<int64_t> posShape = shapeOf(getPositions());
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(isIntegerTensor(*this, "'positions'", getPositions().getType())))
    return failure();
  if (posShape.empty())
    return emitOpError() << "'positions' must have rank >= 1 ([b, s] token "
                            "positions), got "
                         << getPositions().getType();
  if (xShape.size() <= posShape.size())
    return emitOpError() << "'x' must have more dims than 'positions' (the "
                            "rotated channels are its last dim), got "
                         << x << " and " << getPositions().getType();
  for (size_t i = 0; i < posShape.size(); ++i)
    if (!dimsMatch(xShape[i], posShape[i]))
      return emitOpError() << "'positions' shape " << shapeString(posShape)
                           << " must match the leading dims of 'x' "
                           << shapeString(xShape);
  int64_t last = xShape.back();
  if (!ShapedType::isDynamic(last) && last < getRope().getDims())
    return emitOpError() << "'x' last dim " << last
                         << " is smaller than the rope dims "
                         << getRope().getDims();
  if (getType() != x)
    return emitOpError() << "result type must equal 'x' type " << x
                         << ", got " << getType();
  return success();
}

OpFoldResult RopeOp::fold(FoldAdaptor) {
  // rope^-1(rope(x, t), t) == x: the rotations cancel exactly in real
  // arithmetic, so the pair is removed rather than rounded twice.
  auto inner = getX().getDefiningOp<RopeOp>();
  if (!inner || inner.getPositions() != getPositions() ||
      inner.getRope() != getRope().getInverted())
    return {};
  return inner.getX();
}

//===----------------------------------------------------------------------===//
// ds4.linear
//===----------------------------------------------------------------------===//

/// The checks of one projection y = x @ W^T (ds4.linear, and each weight of
/// ds4.multi_linear): `weightName` / `resultName` name the operands in
/// messages.
static LogicalResult verifyProjection(Operation *op, Value x, Value weight,
                                      Value result,
                                      std::optional<ActQuantAttr> actQuant,
                                      const Twine &weightName,
                                      const Twine &resultName) {
  std::string w = ("'" + weightName + "'").str();
  if (failed(isWeightTensor(op, w, weight.getType())) ||
      failed(hasRank(op, w, weight.getType(), 2)))
    return failure();
  int64_t out = shapeOf(weight)[0], in = shapeOf(weight)[1];
  int64_t k = shapeOf(x).back();
  if (!dimsMatch(k, in))
    return op->emitOpError() << "'x' last dim " << k << " must equal the " << w
                             << " input dim " << in;
  auto type = cast<RankedTensorType>(result.getType());
  Type resultElement = type.getElementType();
  if (!resultElement.isF32() && !resultElement.isBF16())
    return op->emitOpError()
           << resultName << " must be f32 or bf16, got " << type;
  if (failed(
          hasShape(op, resultName.str(), type, withTail(shapeOf(x), 1, {out}))))
    return failure();
  if (actQuant && !getQuantEncoding(weight.getType()))
    return op->emitOpError() << "act_quant applies only to fp8/fp4 weights "
                                "(deploy mode), but "
                             << w << " is " << weight.getType();
  return success();
}

LogicalResult LinearOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  return verifyProjection(*this, getX(), getWeight(), getResult(),
                          getActQuant(), "weight", "result");
}

//===----------------------------------------------------------------------===//
// ds4.multi_linear
//===----------------------------------------------------------------------===//

LogicalResult MultiLinearOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  if (getWeights().size() < 2)
    return emitOpError() << "needs at least two weights (one is ds4.linear), "
                            "got "
                         << getWeights().size();
  if (getWeights().size() != getResults().size())
    return emitOpError() << "needs one result per weight: "
                         << getWeights().size() << " weights, "
                         << getResults().size() << " results";
  for (auto [j, pair] : llvm::enumerate(llvm::zip(getWeights(), getResults())))
    if (failed(verifyProjection(*this, getX(), std::get<0>(pair),
                                std::get<1>(pair), getActQuant(),
                                "weights #" + Twine(j), "result #" + Twine(j))))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.grouped_linear
//===----------------------------------------------------------------------===//

LogicalResult GroupedLinearOp::verify() {
  Type x = getX().getType();
  Type weight = getWeight().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 2)) ||
      failed(isWeightTensor(*this, "'weight'", weight)) ||
      failed(hasRank(*this, "'weight'", weight, 2)))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(getX());
  int64_t groups = xShape[xShape.size() - 2];
  if (ShapedType::isDynamic(groups) || groups <= 0)
    return emitOpError() << "'x' group dim (second to last) must be static "
                            "and positive, got "
                         << x;
  int64_t rows = shapeOf(getWeight())[0], in = shapeOf(getWeight())[1];
  if (!ShapedType::isDynamic(rows) && rows % groups != 0)
    return emitOpError() << "'weight' rows " << rows
                         << " must split evenly into " << groups << " groups";
  if (!dimsMatch(xShape.back(), in))
    return emitOpError() << "'x' last dim " << xShape.back()
                         << " must equal the 'weight' input dim " << in;
  if (std::optional<Type> compute = getCompute())
    if (!compute->isBF16() && !compute->isF32())
      return emitOpError() << "compute type must be bf16 or f32, got "
                           << *compute;
  Type resultElement = getType().getElementType();
  if (!resultElement.isF32() && !resultElement.isBF16())
    return emitOpError() << "result must be f32 or bf16, got " << getType();
  int64_t perGroup = ShapedType::isDynamic(rows) ? kAny : rows / groups;
  return hasShape(*this, "result", getType(), withTail(xShape, 1, {perGroup}));
}

//===----------------------------------------------------------------------===//
// ds4.quantize
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  int64_t block = getBlock();
  if (block <= 0)
    return emitOpError() << "block must be positive, got " << block;
  int64_t last = shapeOf(getX()).back();
  if (ShapedType::isDynamic(last))
    return emitOpError() << "'x' last dim must be static, got " << x;
  int64_t channels = getChannels().value_or(last);
  if (channels <= 0 || channels > last)
    return emitOpError() << "channels " << channels << " must be in [1, "
                         << last << "]";
  if (channels % block != 0)
    return emitOpError() << "block " << block << " must divide the "
                         << channels << " quantized channels";
  Value scales = getScales();
  if (getRestBf16() &&
      (getMode() != QuantizeMode::simulate || channels == last))
    return emitOpError("rest_bf16 rounds the channels past 'channels' in "
                       "simulate mode; there are none here");
  if (getMode() == QuantizeMode::simulate) {
    if (scales)
      return emitOpError("simulate mode has no 'scales' result");
    if (getResult().getType() != x)
      return emitOpError() << "simulate result type must equal 'x' type " << x
                           << ", got " << getResult().getType();
    return success();
  }
  if (!scales)
    return emitOpError("store mode needs a 'scales' result");
  if (channels != last)
    return emitOpError() << "store mode quantizes the whole last dim; "
                            "channels "
                         << channels << " != " << last;
  Type code = getFormat() == QuantFormat::fp8_e4m3
                  ? Type(Float8E4M3FNType::get(getContext()))
                  : Type(Float4E2M1FNType::get(getContext()));
  if (getResult().getType().getElementType() != code)
    return emitOpError() << "store result must hold " << code
                         << " codes, got " << getResult().getType();
  if (failed(hasShape(*this, "result", getResult().getType(), shapeOf(getX()))))
    return failure();
  auto scalesType = cast<ShapedType>(scales.getType());
  if (!isa<Float8E8M0FNUType>(scalesType.getElementType()))
    return emitOpError() << "'scales' must hold f8E8M0FNU, got " << scalesType;
  return hasShape(*this, "'scales'", scalesType,
                  withTail(shapeOf(getX()), 1, {last / block}));
}

LogicalResult QuantizeOp::fold(FoldAdaptor,
                               SmallVectorImpl<OpFoldResult> &results) {
  // Simulated rounding is idempotent with the same format/block/channels
  // (see the op description), so a second one is dropped.
  if (getMode() != QuantizeMode::simulate)
    return failure();
  auto inner = getX().getDefiningOp<QuantizeOp>();
  if (!inner || inner.getMode() != QuantizeMode::simulate ||
      inner.getFormat() != getFormat() || inner.getBlock() != getBlock() ||
      inner.getChannels() != getChannels() ||
      inner.getRestBf16() != getRestBf16())
    return failure();
  results.push_back(inner.getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.hadamard
//===----------------------------------------------------------------------===//

LogicalResult HadamardOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  int64_t n = shapeOf(getX()).back();
  if (ShapedType::isDynamic(n) || !llvm::isPowerOf2_64(n))
    return emitOpError() << "'x' last dim must be a static power of two, got "
                         << x;
  return success();
}

OpFoldResult HadamardOp::fold(FoldAdaptor) {
  // The orthonormal Hadamard matrix is its own inverse.
  if (auto inner = getX().getDefiningOp<HadamardOp>())
    return inner.getX();
  return {};
}

//===----------------------------------------------------------------------===//
// ds4.swiglu
//===----------------------------------------------------------------------===//

LogicalResult SwiGluOp::verify() {
  if (failed(isFloatTensor(*this, "'gate'", getGate().getType())) ||
      failed(isFloatTensor(*this, "'up'", getUp().getType())))
    return failure();
  if (failed(hasShape(*this, "'up'", getUp().getType(), shapeOf(getGate()))) ||
      failed(isFloatTensor(*this, "result", getType())) ||
      failed(hasShape(*this, "result", getType(), shapeOf(getGate()))))
    return failure();
  if (std::optional<APFloat> limit = getLimit())
    return isPositive(*this, "'limit'", limit->convertToDouble());
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.logits
//===----------------------------------------------------------------------===//

LogicalResult LogitsOp::verify() {
  Type head = getHead().getType();
  if (failed(isFloatTensor(*this, "'x'", getX().getType())) ||
      failed(hasMinRank(*this, "'x'", getX().getType(), 1)) ||
      failed(hasRank(*this, "'head'", head, 2)))
    return failure();
  if (failed(isPlainTable(*this, "'head'", head)))
    return failure();
  int64_t vocab = shapeOf(getHead())[0], dim = shapeOf(getHead())[1];
  if (!dimsMatch(shapeOf(getX()).back(), dim))
    return emitOpError() << "'x' last dim " << shapeOf(getX()).back()
                         << " must equal the 'head' model dim " << dim;
  if (failed(isF32Tensor(*this, "result", getType())))
    return failure();
  return hasShape(*this, "result", getType(),
                  withTail(shapeOf(getX()), 1, {vocab}));
}
